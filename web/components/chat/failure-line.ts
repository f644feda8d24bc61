import { failureMessage } from "@trainer2/shared/failures";
import type { ChatItem } from "@/lib/realtime/chat-state";

/**
 * How an answer that ended early reads, by the code the api sent live (`run.failed`) or
 * stored with the message (`errorCode`): the failure registry's sentence, so a reload says
 * what the live page said and the wording matches what the agent and api send.
 */
export const genericFailure = "This answer could not be completed.";

export function failureText(error: ChatItem["error"]): string {
  return error ? failureMessage(error.code) : genericFailure;
}
