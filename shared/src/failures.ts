/**
 * How an answer that ended early reads, by code: the agent's model failures, the api's own
 * stops, and the status a restart leaves. One table for the agent and api (the `message` of
 * `failed` / `run.failed`) and the web (live and reloaded), so every view says the same.
 */
export const failureMessages = {
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
  agent_error: "The trainer ran into a problem answering. Please try again.",
  agent_unavailable: "The trainer is not reachable right now. Please try again.",
  timeout: "The trainer took too long to answer.",
  cancelled: "The answer was cancelled.",
  shutdown: "The server restarted while answering.",
  interrupted: "The server restarted while answering.",
  internal: "The answer could not be saved.",
} as const;

export type FailureCode = keyof typeof failureMessages;

export function failureMessageOf(code: string): string | undefined {
  return Object.hasOwn(failureMessages, code) ? failureMessages[code as FailureCode] : undefined;
}
