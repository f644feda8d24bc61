/**
 * Service-to-service tokens. Both sides import these helpers so issuer, audience,
 * algorithm and lifetime are agreed in one place. The algorithm follows the key: Ed25519
 * keys (what `bun run keys` makes) sign EdDSA, RSA keys (older deployments) RS256, and every
 * verification pins the one algorithm of the key it verifies with, so a token can never
 * choose its own. EdDSA because the api signs a run token per chat turn: RS256 signing cost
 * 1.1 ms of CPU each, EdDSA 0.07 ms (jose on Bun, this machine).
 */
import {
  CompactSign,
  type CryptoKey,
  compactVerify,
  errors,
  importPKCS8,
  importSPKI,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";

/** The signing algorithms a service key may have; its type decides which. */
export type SigningAlg = "EdDSA" | "RS256";
const keyAlgorithms: SigningAlg[] = ["EdDSA", "RS256"];

/** The algorithm of an imported key: EdDSA for Ed25519, RS256 for RSA. */
export function algOf(key: KeyLike): SigningAlg {
  return key.algorithm.name === "Ed25519" ? "EdDSA" : "RS256";
}

export const issuers = {
  agent: "trainer2-agent",
  api: "trainer2-api",
  devLogin: "trainer2-dev-login",
} as const;

export const audiences = {
  /** Agent JWT: the agent calling the api (GET /capabilities, POST /tools/:name). */
  api: "trainer2-api",
  /** Run token: issued by the api for one run; presented to the agent and back to the api. */
  run: "trainer2-run",
  /** id_tokens minted by the web app's dev login. */
  devLogin: "trainer2-dev",
  /** Api JWT: the api (or an operator with its key) calling the agent (POST /update). */
  agent: "trainer2-agent",
} as const;

export const agentJwtTtlSeconds = 60;
/** The api refuses agent JWTs that claim to live longer than this. */
export const agentJwtMaxTtlSeconds = 300;
export const runTokenTtlSeconds = 15 * 60;

export type KeyLike = CryptoKey;

/** The token of an `Authorization: Bearer <token>` header; null when there is none. */
export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** Imports a PEM key of either type; an unreadable one is named, never echoed. */
async function importEither(
  pem: string,
  kind: "private" | "public",
  importer: (pem: string, alg: SigningAlg) => Promise<KeyLike>,
): Promise<KeyLike> {
  for (const candidate of keyAlgorithms) {
    try {
      return await importer(pem, candidate);
    } catch {
      // Not this type: try the next.
    }
  }
  throw new Error(
    `expected an Ed25519 or RSA ${kind} key in PEM (${kind === "private" ? "PKCS#8" : "SPKI"})`,
  );
}

export const importPrivateKey = (pem: string): Promise<KeyLike> =>
  importEither(pem, "private", (text, alg) => importPKCS8(text, alg));
export const importPublicKey = (pem: string): Promise<KeyLike> =>
  importEither(pem, "public", (text, alg) => importSPKI(text, alg));

export class TokenError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

function tokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError("token expired", "expired");
  if (error instanceof errors.JWTClaimValidationFailed)
    return new TokenError(`token claim "${error.claim}" is invalid`, `claim:${error.claim}`);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenError("token algorithm not allowed", "alg");
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenError("token signature is invalid", "signature");
  return new TokenError("token is malformed or invalid", "invalid");
}

// ---------- service JWTs: agent → api, api → agent ----------

type Service = "agent" | "api";
const audienceOf: Record<Service, string> = { agent: audiences.api, api: audiences.agent };

/** A short-lived JWT a service signs with its own key to call the other one. */
export async function signServiceJwt(
  from: Service,
  privateKey: KeyLike,
  ttlSeconds = agentJwtTtlSeconds,
) {
  return new SignJWT({})
    .setProtectedHeader({ alg: algOf(privateKey), typ: "JWT" })
    .setIssuer(issuers[from])
    .setAudience(audienceOf[from])
    .setSubject(from)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(privateKey);
}

export async function verifyServiceJwt(
  from: Service,
  token: string,
  publicKey: KeyLike,
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [algOf(publicKey)],
      issuer: issuers[from],
      audience: audienceOf[from],
      requiredClaims: ["exp", "iat"],
    });
    const now = Math.floor(Date.now() / 1000);
    if ((payload.exp ?? 0) - now > agentJwtMaxTtlSeconds)
      throw new TokenError("token lives longer than allowed", "ttl");
    return payload;
  } catch (error) {
    throw tokenError(error);
  }
}

export const signAgentJwt = (privateKey: KeyLike, ttlSeconds = agentJwtTtlSeconds) =>
  signServiceJwt("agent", privateKey, ttlSeconds);

export const verifyAgentJwt = (token: string, publicKey: KeyLike) =>
  verifyServiceJwt("agent", token, publicKey);

// ---------- run token ----------

export type RunClaims = { userId: string; sessionId: string; runId: string };

export async function signRunToken(
  claims: RunClaims,
  privateKey: KeyLike,
  ttlSeconds = runTokenTtlSeconds,
) {
  // Each token its own: Ed25519 signs deterministically, so without an id two tokens of one
  // run signed in the same second (a resume right after the pause) would be the same, and the
  // agent starts one run per token.
  return new SignJWT({ sid: claims.sessionId, rid: claims.runId })
    .setProtectedHeader({ alg: algOf(privateKey), typ: "JWT" })
    .setJti(crypto.randomUUID())
    .setIssuer(issuers.api)
    .setAudience(audiences.run)
    .setSubject(claims.userId)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(privateKey);
}

export async function verifyRunToken(token: string, publicKey: KeyLike): Promise<RunClaims> {
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [algOf(publicKey)],
      issuer: issuers.api,
      audience: audiences.run,
      requiredClaims: ["exp", "sub", "sid", "rid"],
    });
    const { sub, sid, rid } = payload;
    if (typeof sub !== "string" || typeof sid !== "string" || typeof rid !== "string")
      throw new TokenError("run token claims are malformed", "claims");
    return { userId: sub, sessionId: sid, runId: rid };
  } catch (error) {
    throw tokenError(error);
  }
}

// ---------- dev-login id_token ----------

export const devIdTokenTtlSeconds = 60 * 60;

/** The subject of a dev-login identity: stable per (lower-cased) email. */
export const devSubject = (email: string) => `dev:${email.trim().toLowerCase()}`;

/**
 * An id_token of the web app's dev login, which the api accepts only with
 * AUTH_DEV_LOGIN=true: the claims it reads from a Google id_token, its own issuer and audience.
 */
export async function signDevIdToken(
  who: { email: string; name: string },
  privateKey: KeyLike,
  options: { nowSeconds?: number; ttlSeconds?: number } = {},
): Promise<{ idToken: string; expiresAt: number }> {
  const email = who.email.trim().toLowerCase();
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const expiresAt = now + (options.ttlSeconds ?? devIdTokenTtlSeconds);
  const idToken = await new SignJWT({ email, name: who.name.trim() })
    .setProtectedHeader({ alg: algOf(privateKey), typ: "JWT" })
    .setIssuer(issuers.devLogin)
    .setAudience(audiences.devLogin)
    .setSubject(devSubject(email))
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(privateKey);
  return { idToken, expiresAt };
}

// ---------- detached signatures over response bodies ----------

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/**
 * Compact JWS with the payload part left empty (RFC 7515 appendix F). `claims` go into the
 * protected header, so they are signed with the body (e.g. the document's version and time).
 */
export async function signDetached(
  body: string,
  privateKey: KeyLike,
  claims: Record<string, string | number> = {},
): Promise<string> {
  const jws = await new CompactSign(encoder.encode(body))
    .setProtectedHeader({ ...claims, alg: algOf(privateKey) })
    .sign(privateKey);
  const [header, , signature] = jws.split(".");
  return `${header}..${signature}`;
}

/** Verifies a detached JWS over `body`; returns its protected header (the signed claims). */
export async function verifyDetached(body: string, detached: string, publicKey: KeyLike) {
  const [header, payload, signature, ...rest] = detached.split(".");
  if (!header || payload !== "" || !signature || rest.length > 0)
    throw new TokenError("signature is not a detached compact JWS", "format");
  try {
    const verified = await compactVerify(
      `${header}.${base64url(encoder.encode(body))}.${signature}`,
      publicKey,
      { algorithms: [algOf(publicKey)] },
    );
    return verified.protectedHeader as Record<string, unknown>;
  } catch (error) {
    throw tokenError(error);
  }
}
