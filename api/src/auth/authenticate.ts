/**
 * From a bearer id_token to the stored user: verify, then create or refresh the user row.
 *
 * A browser sends the same id_token with every request and socket until it is refreshed, so
 * what one token resolved to is kept (by its sha256, never the token itself) until the token
 * expires or `cacheMs` passes, whichever is first: /state and reconnects skip the signature
 * check and the user lookup. Bounded; a user's entries can be dropped at once (`forget`), as
 * deleting an account does.
 */
import type { Sql } from "@trainer2/db";
import { type UserRecord, upsertUserFromIdentity } from "@trainer2/db/queries/users";
import { AppError } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";
import { bearerToken } from "@trainer2/shared/tokens";
import type { User } from "@trainer2/shared/wire";
import type { MiddlewareHandler } from "hono";
import type { IdentityVerifier } from "./identity.ts";

export type Authenticated = { user: UserRecord; expiresAt: number };
export type Authenticate = ((token: string) => Promise<Authenticated>) & {
  /** Drops what is cached for this user (their account changed or is gone). */
  forget?: (userId: string) => void;
};

export const toUserDto = (user: UserRecord): User => ({
  id: user.id,
  email: user.email,
  name: user.name,
  picture: user.picture,
});

type CacheOptions = { cacheMs?: number; maxEntries?: number; now?: () => number };

const tokenKey = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("base64");

export function createAuthenticate(
  deps: { sql: Sql; verifyIdentity: IdentityVerifier; logger: Logger },
  options: CacheOptions = {},
): Authenticate {
  const cacheMs = options.cacheMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order is age order: the first key is the oldest, evicted first when full.
  const cache = new Map<string, { auth: Authenticated; until: number }>();

  const authenticate: Authenticate = async (token) => {
    const key = tokenKey(token);
    const hit = cache.get(key);
    if (hit && now() < hit.until) return hit.auth;
    if (hit) cache.delete(key);
    const identity = await deps.verifyIdentity(token);
    const { user, created } = await upsertUserFromIdentity(deps.sql, identity);
    if (created) deps.logger.info("user created", { userId: user.id, issuer: user.issuer });
    const auth = { user, expiresAt: identity.expiresAt };
    if (cacheMs > 0) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, { auth, until: Math.min(identity.expiresAt * 1000, now() + cacheMs) });
    }
    return auth;
  };
  authenticate.forget = (userId) => {
    for (const [key, entry] of cache) if (entry.auth.user.id === userId) cache.delete(key);
  };
  return authenticate;
}

export type AuthVariables = { auth: Authenticated };

/** `Authorization: Bearer <id_token>` → `c.var.auth`. */
export function requireUser(
  authenticate: Authenticate,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new AppError("unauthorized", "Sign in first: a Bearer token is required.");
    c.set("auth", await authenticate(token));
    await next();
  };
}
