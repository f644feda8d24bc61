/**
 * Verifies sign-in id_tokens: Google, one generic OIDC issuer, and (only when enabled) the
 * web app's dev login. The issuer picks the provider; the provider pins its algorithms,
 * audience and keys, so `alg: none`, HS/RS confusion and foreign audiences are refused.
 */

import type { IdentityClaims } from "@trainer2/db/queries/users";
import { AppError } from "@trainer2/shared/errors";
import {
  cachedDiscovery,
  type DiscoveryDocument,
  discoveryUrlOf,
  fetchDiscovery,
  googleIssuer,
} from "@trainer2/shared/oidc";
import { algOf, audiences, issuers, type KeyLike } from "@trainer2/shared/tokens";
import {
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";

export const googleJwksUrl = "https://www.googleapis.com/oauth2/v3/certs";
export const googleIssuers = [googleIssuer, "accounts.google.com"];

export type VerifiedIdentity = IdentityClaims & {
  /** Seconds since the epoch: the socket closes with 4401 when this passes. */
  expiresAt: number;
};

export type IdentityVerifier = (token: string) => Promise<VerifiedIdentity>;

export type IdentityConfig = {
  /**
   * Google's keys are at a fixed URL; `discoveryUrl` (the web's GOOGLE_DISCOVERY_URL) reads
   * them from another discovery document instead, as a test's local Google does.
   */
  google?: { clientId: string; jwksUrl?: string; discoveryUrl?: string };
  /** Without `jwksUrl` the keys are found by discovery at `<issuer>/.well-known/…`. */
  oidc?: { issuer: string; audience: string; jwksUrl?: string };
  devLogin?: { publicKey: KeyLike };
  /** How long a fetched JWKS is trusted before an unknown `kid` may trigger a refetch. */
  jwksCooldownMs?: number;
  clockToleranceSeconds?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
};

type Provider = {
  issuers: string[];
  /** What `users.issuer` records, so both Google spellings are one identity. */
  storedIssuer: string;
  audience: string;
  key: JWTVerifyGetKey | KeyLike;
  algorithms: string[];
  /**
   * The dev login's email is what was typed on its page, signed with our own key: it is the
   * account itself, with no mailbox behind it to prove. Other providers prove it per token.
   */
  emailIsAccount?: true;
};

const remoteAlgorithms = ["RS256", "ES256"];

function remoteKeys(jwksUrl: string, cooldownMs: number): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: cooldownMs,
    cacheMaxAge: 60 * 60 * 1000,
    timeoutDuration: 5000,
  });
}

/**
 * Keys found through the provider's discovery document, on first use. Until discovery
 * succeeds every verification is `unavailable` (503), never a 401: the token may be fine.
 */
function discoveredKeys(discover: () => Promise<DiscoveryDocument>, cooldownMs: number) {
  let keys: { url: string; get: JWTVerifyGetKey } | undefined;
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const { jwks_uri } = await discover();
    if (keys?.url !== jwks_uri) keys = { url: jwks_uri, get: remoteKeys(jwks_uri, cooldownMs) };
    return keys.get(header, token);
  };
  return getKey;
}

function providersFrom(config: IdentityConfig): Provider[] {
  const cooldown = config.jwksCooldownMs ?? 30_000;
  const providers: Provider[] = [];
  const { google, oidc } = config;
  if (google)
    providers.push({
      issuers: googleIssuers,
      storedIssuer: googleIssuer,
      audience: google.clientId,
      key: google.discoveryUrl
        ? discoveredKeys(
            cachedDiscovery(google.discoveryUrl, { expectIssuer: googleIssuer }),
            cooldown,
          )
        : remoteKeys(google.jwksUrl ?? googleJwksUrl, cooldown),
      algorithms: remoteAlgorithms,
    });
  if (oidc)
    providers.push({
      issuers: [oidc.issuer],
      storedIssuer: oidc.issuer,
      audience: oidc.audience,
      key: oidc.jwksUrl
        ? remoteKeys(oidc.jwksUrl, cooldown)
        : discoveredKeys(
            cachedDiscovery(discoveryUrlOf(oidc.issuer), { expectIssuer: oidc.issuer }),
            cooldown,
          ),
      algorithms: remoteAlgorithms,
    });
  if (config.devLogin)
    providers.push({
      issuers: [issuers.devLogin],
      storedIssuer: issuers.devLogin,
      audience: audiences.devLogin,
      key: config.devLogin.publicKey,
      // The key's own algorithm (EdDSA for the Ed25519 keys `bun run keys` makes).
      algorithms: [algOf(config.devLogin.publicKey)],
      emailIsAccount: true,
    });
  return providers;
}

const unauthorized = (message: string, cause?: unknown) =>
  new AppError("unauthorized", message, cause === undefined ? undefined : { cause });

/**
 * The provider's keys could not be had (network, timeout, an error page): the token may be
 * fine, so this is not a 401, which would make clients throw away good tokens.
 */
function keysUnavailable(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    // jose's generic error comes only from a JWKS response that is not 200 or not JSON.
    error.code === "ERR_JOSE_GENERIC"
  );
}

/** A plain reason for the client; jose's own messages stay in the logs via `cause`. */
function reasonOf(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return unauthorized("The token has expired.", error);
  if (error instanceof errors.JWTClaimValidationFailed)
    return unauthorized(`The token's "${error.claim}" claim is not valid.`, error);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return unauthorized("The token's algorithm is not allowed.", error);
  if (error instanceof errors.JWKSNoMatchingKey)
    return unauthorized("The token's signing key is unknown.", error);
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized("The token's signature is invalid.", error);
  if (keysUnavailable(error))
    return new AppError("unavailable", "Sign-in could not be checked right now; try again.", {
      cause: error,
    });
  return unauthorized("The token is malformed or invalid.", error);
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);

/**
 * The token's email only when the provider says it proved the mailbox (`email_verified`,
 * a boolean, or the string "true" some Google endpoints still give): an unverified one is
 * whatever the person typed at the provider, so it is neither shown nor stored, and the admin
 * command, which finds people by email, cannot be pointed at someone else's account.
 */
function verifiedEmail(payload: JWTPayload, provider: Provider): string | null {
  const verified = payload.email_verified === true || payload.email_verified === "true";
  return verified || provider.emailIsAccount ? text(payload.email) : null;
}

function claimsOf(payload: JWTPayload, provider: Provider): VerifiedIdentity {
  if (typeof payload.sub !== "string" || payload.sub === "")
    throw unauthorized('The token\'s "sub" claim is missing.');
  return {
    issuer: provider.storedIssuer,
    subject: payload.sub,
    email: verifiedEmail(payload, provider),
    name: text(payload.name),
    picture: text(payload.picture),
    expiresAt: payload.exp ?? 0,
  };
}

export function createIdentityVerifier(config: IdentityConfig): IdentityVerifier {
  const providers = providersFrom(config);
  const now = config.now ?? Date.now;
  return async (token) => {
    try {
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch (error) {
        throw unauthorized("The token is malformed.", error);
      }
      const provider = providers.find(
        (p) => typeof issuer === "string" && p.issuers.includes(issuer),
      );
      if (!provider) throw unauthorized("The token's issuer is not accepted here.");
      const options = {
        algorithms: provider.algorithms,
        issuer: provider.issuers,
        audience: provider.audience,
        requiredClaims: ["exp", "sub"],
        clockTolerance: config.clockToleranceSeconds ?? 5,
        currentDate: new Date(now()),
      };
      // Two overloads (key set vs. one key): keep each call typed.
      const { payload } =
        typeof provider.key === "function"
          ? await jwtVerify(token, provider.key, options)
          : await jwtVerify(token, provider.key, options);
      return claimsOf(payload, provider);
    } catch (error) {
      throw reasonOf(error);
    }
  };
}

/**
 * At start: the discovery documents the verifier will need, fetched once, so a wrong issuer
 * or an unreachable provider is one clear log line now rather than 503s at the first sign-in.
 * Resolves with one sentence per problem (URLs and reasons only, never a secret).
 */
export async function discoveryProblems(config: IdentityConfig): Promise<string[]> {
  const wanted: { url: string; issuer: string }[] = [];
  if (config.google?.discoveryUrl)
    wanted.push({ url: config.google.discoveryUrl, issuer: googleIssuer });
  if (config.oidc && !config.oidc.jwksUrl)
    wanted.push({ url: discoveryUrlOf(config.oidc.issuer), issuer: config.oidc.issuer });
  const outcomes = await Promise.all(
    wanted.map(({ url, issuer }) =>
      fetchDiscovery(url, { expectIssuer: issuer }).then(
        () => null,
        (error: Error) => error.message,
      ),
    ),
  );
  return outcomes.filter((problem): problem is string => problem !== null);
}
