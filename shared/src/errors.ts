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

/** Anything thrown becomes an AppError; unknown failures are `internal` with a plain message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal", undefined, { cause: error });
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
