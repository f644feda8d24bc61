/**
 * One error type and one JSON error shape for every service. Codes, statuses and sentences
 * come from the failure registry (failures.ts). Clients see `code` and `message` (and any
 * details); logs see `cause`.
 *
 * The shape of every error body on every HTTP route of the api and the agent:
 *   { "error": { "code": "<registry code>", "message": "<a sentence>", ...details } }
 */
import { z } from "zod";
import { type FailureCode, failureCode, failures } from "./failures.ts";

export class AppError extends Error {
  readonly code: FailureCode;
  readonly details: Record<string, unknown> | undefined;

  /** Without a message, the registry's plain sentence for the code. */
  constructor(
    code: FailureCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(
      message ?? failures[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return failures[this.code].status;
  }

  /** What a client may see: never the cause. */
  toJSON(): ErrorDetail {
    return { ...(this.details ?? {}), code: this.code, message: this.message };
  }
}

/**
 * Anything thrown becomes an AppError: a database or network that cannot be reached is
 * `unavailable` (retryable, and never an auth failure); anything else unknown is `internal`.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const code = isInfrastructureFailure(error) ? "unavailable" : "internal";
  return new AppError(code, undefined, { cause: error });
}

/** Socket and driver codes of a peer that is down, unreachable or went away. */
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ConnectionRefused",
  "ConnectionClosed",
  // postgres.js
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * True when `error` (or its cause) says a server could not be reached or is shutting down,
 * rather than that the request was wrong: the connection codes above, and Postgres' own
 * classes 08 (connection exception) and 57P (shutdown, cannot connect now) and 53300
 * (too many connections).
 */
export function isInfrastructureFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (unreachableCodes.has(code)) return true;
      // SQLSTATE: 08xxx connection exception, 57P0x shutdown / cannot connect now.
      if (/^08[0-9A-Z]{3}$|^57P[0-9A-Z]{2}$/.test(code) || code === "53300") return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export const errorDetail = z.looseObject({ code: failureCode, message: z.string() });
/** The error body of every HTTP route. */
export const errorBody = z.object({ error: errorDetail });

export type ErrorDetail = z.infer<typeof errorDetail>;
export type ErrorBody = z.infer<typeof errorBody>;

/** The body (and status) of an error response. */
export function errorResponse(error: unknown): { body: ErrorBody; status: number } {
  const appError = toAppError(error);
  return { body: { error: appError.toJSON() }, status: appError.status };
}
