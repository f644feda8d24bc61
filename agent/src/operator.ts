/**
 * Who may ask the agent to sync now (`POST /update`): anyone on the agent's own machine
 * (a loopback peer: `curl -X POST http://localhost:9000/update`), or a caller with the api's
 * token (a JWT signed with API_PRIVATE_KEY, audience trainer2-agent), which the agent
 * checks with the API_PUBLIC_KEY it already has. Nobody else may make it hammer the api.
 */
import { AppError } from "@trainer2/shared/errors";
import { bearerToken, type KeyLike, TokenError, verifyServiceJwt } from "@trainer2/shared/tokens";
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";

const isLoopback = (address: string | undefined) =>
  address !== undefined &&
  (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));

export function requireOperator(apiPublicKey: KeyLike, fromLoopback: boolean): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) {
      if (fromLoopback && isLoopback(getConnInfo(c).remote.address)) return next();
      throw new AppError(
        "unauthorized",
        "POST /update needs the api's token (Authorization: Bearer), or a call from this machine.",
      );
    }
    try {
      await verifyServiceJwt("api", token, apiPublicKey);
    } catch (error) {
      const reason = error instanceof TokenError ? error.message : "token is invalid";
      throw new AppError("unauthorized", `The api token was refused: ${reason}.`, { cause: error });
    }
    return next();
  };
}
