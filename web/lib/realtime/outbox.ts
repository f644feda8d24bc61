/**
 * Which frames the client keeps re-sending after a drop until the server answers them (see
 * client.ts), and which server events answer them. A chat or a regenerate is keyed by its
 * clientMsgId; a decision on a tool call by its run and call (the api records one per call).
 */
import type { ClientFrame, ServerEvent } from "@trainer2/shared/wire";

export type Outbox = Map<string, ClientFrame>;

export const approvalKey = (call: { runId: string; callId: string }) =>
  `approval:${call.runId}:${call.callId}`;

/** Refusals of a decision that sending it again cannot change. */
const finalApprovalRefusals = new Set(["conflict", "not_found", "approval_expired"]);

/**
 * The tool call an `error` refuses a decision on for good, if it does: its frame is not sent
 * again (below) and its card goes (refusals.ts), by the same rule.
 */
export function refusedCall(
  event: Extract<ServerEvent, { type: "error" }>,
): { runId: string; callId: string } | null {
  return event.runId && event.callId && finalApprovalRefusals.has(event.code)
    ? { runId: event.runId, callId: event.callId }
    : null;
}

/** The queued frames `event` acknowledges, or refuses for good: they are not sent again. */
export function settledBy(event: ServerEvent, outbox: Outbox): string[] {
  switch (event.type) {
    case "message":
      return event.message.role === "user" && event.message.clientMsgId
        ? [event.message.clientMsgId]
        : [];
    case "run.started":
      return [event.clientMsgId];
    case "approval.decided":
      return [approvalKey(event)];
    case "error": {
      const call = refusedCall(event);
      if (call) return [approvalKey(call)];
      if (!event.clientMsgId) return [];
      // Refusals that are final must not run later by themselves: a regenerate refused (busy,
      // nothing to answer), and a chat refused by a budget, which stays refused until it resets.
      const queued = outbox.get(event.clientMsgId);
      return queued?.type === "regenerate" || event.code === "budget_exceeded"
        ? [event.clientMsgId]
        : [];
    }
    default:
      return [];
  }
}
