/**
 * Dev login: an id_token the api accepts only when it runs with AUTH_DEV_LOGIN=true.
 * Same shape as a Google id_token where the api looks (sub, email, name, iat, exp), but
 * signed with DEV_LOGIN_PRIVATE_KEY and marked by its own issuer and audience.
 */
import { importPrivateKey, type KeyLike, signDevIdToken } from "@trainer2/shared/tokens";
import { z } from "zod";

export const devLoginProviderId = "dev-login";

export const devLoginInput = z.object({
  name: z.string().trim().min(1, "name is required").max(100, "name is too long"),
  email: z
    .string()
    .trim()
    .max(254, "email is too long")
    .pipe(z.email({ message: "email must be a valid address" })),
});
export type DevLoginInput = z.infer<typeof devLoginInput>;

export type MintedIdToken = { idToken: string; expiresAt: number };

export async function mintDevIdToken(
  who: DevLoginInput,
  privateKey: KeyLike,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<MintedIdToken> {
  return signDevIdToken(who, privateKey, { nowSeconds });
}

/** Imports the PEM once and returns a minting function bound to it. */
export function devMinter(privateKeyPem: string) {
  let key: Promise<KeyLike> | undefined;
  return async (who: DevLoginInput): Promise<MintedIdToken> => {
    key ??= importPrivateKey(privateKeyPem);
    return mintDevIdToken(who, await key);
  };
}
