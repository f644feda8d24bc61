/**
 * Dev login: an id_token the api accepts only when it runs with AUTH_DEV_LOGIN=true.
 * Same shape as a Google id_token where the api looks (sub, email, name, iat, exp), but
 * signed with DEV_LOGIN_PRIVATE_KEY and marked by its own issuer and audience.
 */
import { audiences, importPrivateKey, issuers, type KeyLike } from "@trainer2/shared/tokens";
import { SignJWT } from "jose";
import { z } from "zod";

export const devLoginProviderId = "dev-login";
export const devIdTokenTtlSeconds = 60 * 60;

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

export const devSubject = (email: string) => `dev:${email.trim().toLowerCase()}`;

export async function mintDevIdToken(
  who: DevLoginInput,
  privateKey: KeyLike,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<MintedIdToken> {
  const email = who.email.trim().toLowerCase();
  const expiresAt = nowSeconds + devIdTokenTtlSeconds;
  const idToken = await new SignJWT({ email, name: who.name.trim() })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer(issuers.devLogin)
    .setAudience(audiences.devLogin)
    .setSubject(devSubject(email))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expiresAt)
    .sign(privateKey);
  return { idToken, expiresAt };
}

/** Imports the PEM once and returns a minting function bound to it. */
export function devMinter(privateKeyPem: string) {
  let key: Promise<KeyLike> | undefined;
  return async (who: DevLoginInput): Promise<MintedIdToken> => {
    key ??= importPrivateKey(privateKeyPem);
    return mintDevIdToken(who, await key);
  };
}
