import { failureMessages } from "@trainer2/shared/failures";
import type { ChatItem } from "@/lib/realtime/chat-state";

/**
 * How an answer that ended early reads, by the code the api sent live (`run.failed`) or
 * stored with the message (`errorCode`): the shared table, so a reload says what the live
 * page said and the wording matches what the agent and api send.
 */
export const failureWording: Record<string, string> = failureMessages;

export const genericFailure = "This answer could not be completed.";

/** Known codes by their wording; an unknown one live by the server's message. */
export function failureText(error: ChatItem["error"]): string {
  if (!error) return genericFailure;
  return failureWording[error.code] ?? error.message ?? genericFailure;
}
