/**
 * One error type for every service. Clients see `code` and `message`; logs see `cause`.
 */
export const errorCodes = {
  bad_request: { status: 400, close: 4400 },
  invalid_arguments: { status: 400, close: 4400 },
  unauthorized: { status: 401, close: 4401 },
  forbidden: { status: 403, close: 4403 },
  not_found: { status: 404, close: 4404 },
  conflict: { status: 409, close: 4409 },
  busy: { status: 409, close: 4409 },
  payload_too_large: { status: 413, close: 1009 },
  rate_limited: { status: 429, close: 4429 },
  internal: { status: 500, close: 1011 },
  agent_error: { status: 502, close: 1011 },
  agent_unavailable: { status: 503, close: 1013 },
  unavailable: { status: 503, close: 1013 },
  timeout: { status: 504, close: 1011 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get closeCode(): number {
    return errorCodes[this.code].close;
  }

  /** What a client may see: never the cause. */
  toJSON(): { code: ErrorCode; message: string } & Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.details ?? {}) };
  }
}

/** Anything thrown becomes an AppError; unknown failures are `internal` with a plain message. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal", "Something went wrong on our side.", { cause: error });
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
