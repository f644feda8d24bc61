/**
 * Model and run errors become a `failed` event with a code a person can act on. The message
 * is written for the person reading the chat; the cause goes to the log only.
 */

import { ModelBehaviorError } from "@openai/agents";
import { type FailureCode, failures } from "@trainer2/shared/failures";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";

/** The codes a run of the agent ends with (all in the shared failure registry). */
type RunFailureCode = Extract<FailureCode, `model_${string}` | "agent_error">;

export type Failure = { code: RunFailureCode; message: string };

/** Thrown into the run's abort signal when the model sends nothing for too long. */
export class ModelIdleTimeout extends Error {
  constructor(readonly seconds: number) {
    super(`the model sent nothing for ${seconds} s`);
    this.name = "ModelIdleTimeout";
  }
}

export const failure = (code: RunFailureCode): Failure => ({
  code,
  message: failures[code].message,
});

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

/**
 * The Responses API ends an answer cut at max_output_tokens as `incomplete`, which the SDK
 * raises as a behaviour error naming that state (Chat Completions just says `length`).
 */
const cutAtOutputCap = (error: unknown) =>
  error instanceof ModelBehaviorError && error.message.includes('"response.incomplete"');

export function classify(error: unknown): Failure {
  for (const link of chain(error)) {
    if (link instanceof ModelIdleTimeout) return failure("model_timeout");
    if (cutAtOutputCap(link)) return failure("model_output_limit");
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
