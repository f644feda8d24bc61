/**
 * Agent authentication for /capabilities and /tools: `Authorization: Bearer <JWT>` signed
 * with the agent's key (verifyAgentJwt pins that key's algorithm, issuer, audience and a
 * lifetime of at most 5 minutes). The token itself is never echoed or logged.
 */
import { AppError } from "@trainer2/shared/errors";
import { bearerToken, type KeyLike, TokenError, verifyAgentJwt } from "@trainer2/shared/tokens";

/** Resolves when the header carries a valid agent JWT; throws an `unauthorized` AppError. */
export async function requireAgent(header: string | undefined, publicKey: KeyLike): Promise<void> {
  const token = bearerToken(header);
  if (!token) throw new AppError("unauthorized", "Missing agent token (Authorization: Bearer).");
  try {
    await verifyAgentJwt(token, publicKey);
  } catch (error) {
    const reason = error instanceof TokenError ? error.message : "token is invalid";
    throw new AppError("unauthorized", `Agent token refused: ${reason}.`, { cause: error });
  }
}
