/** Dev-login id_tokens, minted exactly as the web app's dev login does (see the brief). */
import { audiences, importPrivateKey, issuers, type KeyLike } from "@trainer2/shared/tokens";
import { SignJWT } from "jose";

export type Minter = (email: string) => Promise<string>;

export async function createMinter(devLoginPrivateKeyPem: string): Promise<Minter> {
  const key: KeyLike = await importPrivateKey(devLoginPrivateKeyPem);
  return (email) => {
    const lower = email.toLowerCase();
    return new SignJWT({ email: lower, name: lower.split("@")[0] })
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuer(issuers.devLogin)
      .setAudience(audiences.devLogin)
      .setSubject(`dev:${lower}`)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
  };
}
