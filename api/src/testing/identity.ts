/**
 * A local stand-in for Google / an OIDC provider in tests: a JWKS endpoint and a discovery
 * document on 127.0.0.1, and a minting function for id_tokens it signs. `rotateKey` replaces the signing key, as a
 * provider does, so tests can prove the api picks the new key up.
 */
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";

export type MintClaims = {
  sub?: string;
  /** null: a token without an email claim (some providers give none). */
  email?: string | null;
  /** The `email_verified` claim: true unless set (false, "true" as Google once sent it, or "omit"). */
  emailVerified?: boolean | "true" | "omit";
  name?: string;
  /** Default 3600; negative for an already expired token. */
  expiresInSeconds?: number;
  /** Seconds from now before which the token is not valid (`nbf`). */
  notBeforeSeconds?: number;
  /** Overrides for negative tests: a foreign issuer, audience or key id. */
  issuer?: string;
  audience?: string;
  kid?: string;
};

export type TestIdentity = {
  issuer: string;
  audience: string;
  jwksUrl: string;
  mintIdToken(claims?: MintClaims): Promise<string>;
  rotateKey(): Promise<void>;
  close(): Promise<void>;
};

type SigningKey = { kid: string; privateKey: CryptoKey; jwk: Record<string, unknown> };

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = crypto.randomUUID();
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
  };
}

export async function startTestIdentity(audience = "trainer2-test-client"): Promise<TestIdentity> {
  let key = await newKey();
  const server: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request): Response => {
      const path = new URL(request.url).pathname;
      if (path === "/jwks") return Response.json({ keys: [key.jwk] });
      // Enough of a discovery document for the api to find the keys by the issuer alone.
      if (path === "/.well-known/openid-configuration")
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}/auth`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
        });
      return new Response("not found", { status: 404 });
    },
  });
  const issuer: string = `http://127.0.0.1:${server.port}`;
  return {
    issuer,
    audience,
    jwksUrl: `${issuer}/jwks`,
    async mintIdToken(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const email = claims.email === null ? undefined : (claims.email ?? "test.user@example.com");
      const verified = claims.emailVerified ?? true;
      const jwt = new SignJWT({
        ...(email ? { email } : {}),
        ...(email && verified !== "omit" ? { email_verified: verified } : {}),
        name: claims.name ?? "Test User",
      })
        .setProtectedHeader({ alg: "RS256", kid: claims.kid ?? key.kid, typ: "JWT" })
        .setIssuer(claims.issuer ?? issuer)
        .setAudience(claims.audience ?? audience)
        .setSubject(claims.sub ?? `sub-${email}`)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.expiresInSeconds ?? 3600));
      if (claims.notBeforeSeconds !== undefined) jwt.setNotBefore(now + claims.notBeforeSeconds);
      return jwt.sign(key.privateKey);
    },
    async rotateKey() {
      key = await newKey();
    },
    async close() {
      await server.stop(true);
    },
  };
}
