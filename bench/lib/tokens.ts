/** Dev-login id_tokens, minted exactly as the web app's dev login does. */
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";

export type Minter = (email: string) => Promise<string>;

export async function createMinter(devLoginPrivateKeyPem: string): Promise<Minter> {
  const key = await importPrivateKey(devLoginPrivateKeyPem);
  return async (email) => {
    const lower = email.toLowerCase();
    const { idToken } = await signDevIdToken({ email: lower, name: lower.split("@")[0]! }, key);
    return idToken;
  };
}
