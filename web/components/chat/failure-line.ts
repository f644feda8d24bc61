import type { ChatItem } from "@/lib/realtime/chat-state";

/**
 * How an answer that ended early reads, by the code the api sent live (`run.failed`) or
 * stored with the message (`errorCode`): one wording for both, so a reload says what the
 * live page said. Codes come from the agent (`runFailureCode`) and the api (its own stops,
 * `agent_unavailable`, `internal`, and `interrupted` for answers cut by a server restart).
 */
export const failureWording: Record<string, string> = {
  model_auth:
    "The model provider rejected the agent's credentials. Check OPENAI_API_KEY (and OPENAI_BASE_URL).",
  model_rate_limited:
    "The model provider is rate limiting or out of quota. Wait a moment and try again.",
  model_unavailable:
    "The model provider could not be reached or had an error. Try again shortly; check OPENAI_BASE_URL if it persists.",
  model_timeout: "The model took too long to answer. Please try again.",
  model_bad_request:
    "The model provider refused the request. Check OPENAI_MODEL, OPENAI_API and OPENAI_BASE_URL (usually ending in /v1) for this endpoint.",
  agent_error: "The trainer ran into a problem answering. Please try again.",
  agent_unavailable: "The trainer is not reachable right now. Please try again.",
  timeout: "The trainer took too long to answer.",
  shutdown: "The server restarted while answering.",
  interrupted: "The server restarted while answering.",
  internal: "The answer could not be saved.",
};

export const genericFailure = "This answer could not be completed.";

/** Known codes by their wording; an unknown one live by the server's message. */
export function failureText(error: ChatItem["error"]): string {
  if (!error) return genericFailure;
  return failureWording[error.code] ?? error.message ?? genericFailure;
}
