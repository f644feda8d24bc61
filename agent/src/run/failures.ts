/**
 * Model and run errors become a `failed` event with a code a person can act on. The message
 * is written for the person reading the chat; the cause goes to the log only.
 */

import type { RunFailureCode } from "@trainer2/shared/wire";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";

export type Failure = { code: RunFailureCode; message: string };

/** Thrown into the run's abort signal when the model sends nothing for too long. */
export class ModelIdleTimeout extends Error {
  constructor(readonly seconds: number) {
    super(`the model sent nothing for ${seconds} s`);
    this.name = "ModelIdleTimeout";
  }
}

const messages: Record<RunFailureCode, string> = {
  model_auth:
    "The model provider rejected the agent's credentials. Check OPENAI_API_KEY (and OPENAI_BASE_URL).",
  model_rate_limited:
    "The model provider is rate limiting or out of quota. Wait a moment and try again.",
  model_unavailable:
    "The model provider could not be reached or had an error. Try again shortly; check OPENAI_BASE_URL if it persists.",
  model_timeout: "The model took too long to answer. Please try again.",
  // A 404 is as often a base URL without its /v1 (or pointing at another app) as a model name.
  model_bad_request:
    "The model provider refused the request. Check OPENAI_MODEL, OPENAI_API and OPENAI_BASE_URL (usually ending in /v1) for this endpoint.",
  agent_error: "The agent ran into a problem answering. Please try again.",
};

export const failure = (code: RunFailureCode): Failure => ({ code, message: messages[code] });

function statusOf(error: unknown): number | undefined {
  if (error instanceof APIError && typeof error.status === "number") return error.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** Walks `cause` chains: the SDK sometimes wraps the client's error. */
function* chain(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

export function classify(error: unknown): Failure {
  for (const link of chain(error)) {
    if (link instanceof ModelIdleTimeout) return failure("model_timeout");
    if (link instanceof APIConnectionTimeoutError) return failure("model_timeout");
    if (link instanceof APIConnectionError) return failure("model_unavailable");
    // The client could not parse what the endpoint sent (not the API's JSON events): the
    // endpoint is wrong or broken, which the person can fix, not an agent bug.
    if (link instanceof SyntaxError) return failure("model_unavailable");
    const status = statusOf(link);
    if (status === undefined) continue;
    if (status === 401 || status === 403) return failure("model_auth");
    if (status === 429) return failure("model_rate_limited");
    if (status === 408 || status === 504) return failure("model_timeout");
    if (status >= 500) return failure("model_unavailable");
    if (status >= 400) return failure("model_bad_request");
  }
  return failure("agent_error");
}
