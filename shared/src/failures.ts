/**
 * The one failure registry of trainer2: every code any service sends (HTTP error bodies,
 * `error` and `run.failed` frames, `failed` lines of the agent's /run stream, tool errors,
 * stored `messages.error_code`) is defined here, once, with
 * - `status`: the HTTP status it answers with;
 * - `close`: the WebSocket close code, for the codes a socket is closed with;
 * - `message`: the plain sentence a person sees when nothing more specific was said (the web
 *   words a stored answer's ending from it, so a reload reads like the live page);
 * - `answer`: for codes that end a run, how the stored answer ends. `interrupted`: it was
 *   stopped (by the person, a restart), so what was written stands, even nothing.
 *   `failed`: an error; an answer that had some text before it keeps that text as
 *   `interrupted` (see `endedStatus`).
 * Adding a code here is enough for every service and the web to type and word it.
 */
import { z } from "zod";

type Failure = {
  status: number;
  close?: number;
  message: string;
  answer?: "interrupted" | "failed";
};

export const failures = {
  // ---------- a request or frame that cannot be served as sent ----------
  bad_request: { status: 400, close: 4400, message: "The request is not valid." },
  invalid_arguments: { status: 400, message: "The tool's arguments are not valid." },
  unauthorized: { status: 401, close: 4401, message: "Please sign in again." },
  forbidden: { status: 403, message: "This is not allowed." },
  not_found: { status: 404, message: "Not found." },
  conflict: { status: 409, message: "This was already received." },
  busy: { status: 409, message: "The trainer is still answering in this session." },
  payload_too_large: { status: 413, close: 1009, message: "That is too large." },
  headers_too_large: { status: 431, message: "The request's headers or URL are too large." },
  rate_limited: { status: 429, close: 4429, message: "Too many messages; slow down." },
  /**
   * The person has too many sockets open on one api process (tabs, devices, or a script):
   * the new one is closed, and the web stops reconnecting it (each retry would be refused too)
   * and asks the person to close some tabs and reload.
   */
  too_many_connections: {
    status: 429,
    close: 4430,
    message: "Too many open tabs or devices on this account. Close some, then reload this page.",
  },
  /**
   * The socket could not keep up with what was sent to it (a slow or stalled reader): closed so
   * its buffer cannot grow without bound; a retryable close, so the client reconnects and resumes.
   */
  slow_connection: {
    status: 503,
    close: 4408,
    message: "The connection could not keep up; reconnecting.",
  },
  /** The person deleted their account: their sockets close, and must not sign them back in. */
  account_deleted: { status: 410, close: 4410, message: "This account was deleted." },
  /**
   * A turn refused before any model call: one of the person's budgets is used up. The
   * refusal names the limit (`daily_tokens`, `turns_per_minute`, `concurrent_runs`) and,
   * when it has one, the time it resets (`resetsAt`); see api/src/budgets/.
   */
  budget_exceeded: { status: 429, message: "You have reached your usage limit for now." },
  /**
   * A tool that needs the person's approval was called without their recorded approval of
   * exactly that call (its run, call id, tool and arguments): the api does not run it.
   */
  approval_required: { status: 403, message: "This action needs your approval first." },
  /** The person rejected a tool call (told to the model as the call's output). */
  approval_rejected: { status: 403, message: "You rejected this action, so it was not done." },
  /**
   * A run token presented after its run stopped streaming (ended, paused, interrupted): a
   * token acts only while its run is being written (the refusal is audited in tool_calls).
   */
  run_ended: { status: 403, message: "This answer has ended; it can no longer act." },
  /** A decision sent after the call's time to decide ran out: it was rejected by itself. */
  approval_expired: { status: 410, message: "The time to decide on this has passed." },

  // ---------- the service side ----------
  internal: {
    status: 500,
    close: 1011,
    message: "Something went wrong on our side. Please try again.",
    answer: "failed",
  },
  unavailable: {
    status: 503,
    close: 1013,
    message: "The service is temporarily unavailable, try again shortly.",
    answer: "failed",
  },

  // ---------- how a run ends early ----------
  cancelled: { status: 409, message: "The answer was stopped.", answer: "interrupted" },
  shutdown: {
    status: 503,
    message: "The server restarted while answering.",
    answer: "interrupted",
  },
  /** Found unfinished after the process that wrote it was gone. */
  interrupted: {
    status: 503,
    message: "The server restarted while answering.",
    answer: "interrupted",
  },
  timeout: { status: 504, message: "The trainer took too long to answer.", answer: "failed" },
  agent_error: {
    status: 502,
    message: "The trainer ran into a problem answering. Please try again.",
    answer: "failed",
  },
  agent_unavailable: {
    status: 503,
    message: "The trainer is not reachable right now. Please try again.",
    answer: "failed",
  },
  /** A tool call the agent could not deliver to the api (told to the model, not the person). */
  tool_unavailable: { status: 503, message: "The tool could not be reached. Try again." },

  // ---------- the model provider, as the agent classifies its errors ----------
  model_auth: {
    status: 502,
    message:
      "The model provider rejected the agent's credentials. Check OPENAI_API_KEY (and OPENAI_BASE_URL).",
    answer: "failed",
  },
  model_rate_limited: {
    status: 503,
    message: "The model provider is rate limiting or out of quota. Wait a moment and try again.",
    answer: "failed",
  },
  model_unavailable: {
    status: 502,
    message:
      "The model provider could not be reached or had an error. Try again shortly; check OPENAI_BASE_URL if it persists.",
    answer: "failed",
  },
  model_timeout: {
    status: 504,
    message: "The model took too long to answer. Please try again.",
    answer: "failed",
  },
  /** The model stopped at the cap on one answer's tokens (BUDGET_MAX_OUTPUT_TOKENS). */
  model_output_limit: {
    status: 502,
    message: "The answer reached its length limit and was cut short.",
    answer: "interrupted",
  },
  // A 404 is as often a base URL without its /v1 (or pointing at another app) as a model name.
  model_bad_request: {
    status: 502,
    message:
      "The model provider refused the request. Check OPENAI_MODEL, OPENAI_API and OPENAI_BASE_URL (usually ending in /v1) for this endpoint.",
    answer: "failed",
  },
} as const satisfies Record<string, Failure>;

export type FailureCode = keyof typeof failures;

const codes = Object.keys(failures) as [FailureCode, ...FailureCode[]];

/** The registry's codes as a zod enum: what the wire contracts type their `code` fields with. */
export const failureCode = z.enum(codes);

export function isFailureCode(code: unknown): code is FailureCode {
  return typeof code === "string" && Object.hasOwn(failures, code);
}

/** The registry entry as its general type (optional fields readable on every code). */
export const failureOf = (code: FailureCode): Failure => failures[code];

/** The sentence for a code; a code from elsewhere (an older store) reads as `internal`. */
export const failureMessage = (code: string): string =>
  failures[isFailureCode(code) ? code : "internal"].message;

/** The status a stored answer takes when its run ends with `code` after `text`. */
export function endedStatus(code: FailureCode, text: string): "interrupted" | "failed" {
  return failureOf(code).answer === "interrupted" || text !== "" ? "interrupted" : "failed";
}

/** The close code for a socket that ends with `code`: its own, else 1011 (internal). */
export const closeCodeOf = (code: FailureCode): number =>
  failureOf(code).close ?? failures.internal.close;

/** Close codes of /realtime that are not a failure of the person's request or token. */
export const closeCodes = {
  /** After several bad frames in a row. */
  protocol: failures.bad_request.close,
  unauthorized: failures.unauthorized.close,
  rateLimited: failures.rate_limited.close,
  /** Too many sockets of one person on one process: the client stops instead of retrying. */
  tooManyConnections: failures.too_many_connections.close,
  /** A reader too slow for what it was sent: retryable. */
  slowConnection: failures.slow_connection.close,
  /** The account is gone: the client stops instead of reconnecting (which would recreate it). */
  accountDeleted: failures.account_deleted.close,
  /** Retryable: the server could not serve the socket (database or agent down). */
  unavailable: failures.unavailable.close,
  internal: failures.internal.close,
  tooLarge: failures.payload_too_large.close,
} as const;
