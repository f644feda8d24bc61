/**
 * Test helper: the token matrix every entry point must refuse, built against a running
 * test api (its identity provider and dev-login key).
 */
import { audiences, importPrivateKey, issuers, signDevIdToken } from "@trainer2/shared/tokens";
import { exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import type { TestApi } from "./index.ts";

/** `reason`: a fragment of the message the client gets, proving why it was refused. */
export type BadToken = { name: string; token: string; reason: string };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function identityPublicPem(api: TestApi): Promise<string> {
  const { keys } = (await (await fetch(api.identity.jwksUrl)).json()) as {
    keys: Record<string, unknown>[];
  };
  const jwk = keys[0]!;
  return exportSPKI((await importJWK(jwk, "RS256", { extractable: true })) as CryptoKey);
}

/** Every entry is a token that must be refused with 401 / close 4401. */
export async function badTokens(api: TestApi): Promise<BadToken[]> {
  const { identity } = api;
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: "someone", email: "someone@example.com", name: "Someone" };
  const good = await identity.mintIdToken(claims);
  const [header, payload] = good.split(".") as [string, string];
  const kid = JSON.parse(Buffer.from(header, "base64url").toString()).kid as string;
  const stranger = await generateKeyPair("RS256");
  const foreignSigned = await new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid })
    .setIssuer(identity.issuer)
    .setAudience(identity.audience)
    .setSubject("someone")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(stranger.privateKey);
  const hmacWith = async (secret: string, iss: string, aud: string, kidHeader?: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", ...(kidHeader ? { kid: kidHeader } : {}) })
      .setIssuer(iss)
      .setAudience(aud)
      .setSubject("someone")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(secret));
  return [
    {
      name: "expired",
      reason: "expired",
      token: await identity.mintIdToken({ ...claims, expiresInSeconds: -120 }),
    },
    {
      name: "not yet valid",
      reason: '"nbf"',
      token: await identity.mintIdToken({ ...claims, notBeforeSeconds: 300 }),
    },
    {
      name: "wrong issuer",
      reason: "issuer",
      token: await identity.mintIdToken({ ...claims, issuer: "https://evil.example.com" }),
    },
    {
      name: "wrong audience",
      reason: '"aud"',
      token: await identity.mintIdToken({ ...claims, audience: "someone-elses-client" }),
    },
    { name: "bad signature", reason: "signature", token: foreignSigned },
    {
      name: "tampered payload",
      reason: "signature",
      token: `${header}.${b64({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), sub: "admin" })}.${good.split(".")[2]}`,
    },
    {
      name: "unknown kid",
      reason: "key is unknown",
      token: await identity.mintIdToken({ ...claims, kid: "no-such-key" }),
    },
    {
      name: "alg none",
      reason: "algorithm",
      token: `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, iss: identity.issuer, aud: identity.audience, iat: now, exp: now + 600 })}.`,
    },
    {
      name: "HS256 signed with the provider's public key",
      reason: "algorithm",
      token: await hmacWith(await identityPublicPem(api), identity.issuer, identity.audience, kid),
    },
    {
      name: "HS256 signed with the dev-login public key",
      reason: "algorithm",
      token: await hmacWith(api.keys.devLoginPublicKey, issuers.devLogin, audiences.devLogin),
    },
    { name: "garbage", reason: "malformed", token: "not-a-jwt" },
  ];
}

/** A dev-login id_token as the web app mints it. */
export async function devLoginToken(
  privateKeyPem: string,
  email: string,
  options: { expiresInSeconds?: number } = {},
): Promise<string> {
  const { idToken } = await signDevIdToken(
    { email, name: email.split("@")[0]! },
    await importPrivateKey(privateKeyPem),
    options.expiresInSeconds === undefined ? {} : { ttlSeconds: options.expiresInSeconds },
  );
  return idToken;
}
