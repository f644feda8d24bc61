/** From a bearer id_token to the stored user: verify, then create or refresh the user row. */
import type { Sql } from "@trainer2/db";
import { type UserRecord, upsertUserFromIdentity } from "@trainer2/db/queries/users";
import { AppError } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";
import { bearerToken } from "@trainer2/shared/tokens";
import type { User } from "@trainer2/shared/wire";
import type { MiddlewareHandler } from "hono";
import type { IdentityVerifier } from "./identity.ts";

export type Authenticated = { user: UserRecord; expiresAt: number };
export type Authenticate = (token: string) => Promise<Authenticated>;

export const toUserDto = (user: UserRecord): User => ({
  id: user.id,
  email: user.email,
  name: user.name,
  picture: user.picture,
});

export function createAuthenticate(deps: {
  sql: Sql;
  verifyIdentity: IdentityVerifier;
  logger: Logger;
}): Authenticate {
  return async (token) => {
    const identity = await deps.verifyIdentity(token);
    const { user, created } = await upsertUserFromIdentity(deps.sql, identity);
    if (created) deps.logger.info("user created", { userId: user.id, issuer: user.issuer });
    return { user, expiresAt: identity.expiresAt };
  };
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
