/**
 * What an `error` event does to the page: most become a notice; a message a budget refused
 * stays under the chat as not sent (with why), and a decision the api refused for good takes
 * its card away. Pure, like chat-state.ts.
 */
import type { ServerEvent } from "@trainer2/shared/wire";
import { dropApproval, hasApproval } from "./approval-state";
import type { ChatView } from "./chat-state";
import { refusedCall } from "./outbox";
import { refuseOutgoing } from "./outgoing";

export type Notice = { code: string; message: string };

type ErrorEvent = Extract<ServerEvent, { type: "error" }>;

export function applyRefusal(
  view: ChatView,
  event: ErrorEvent,
): { view: ChatView; notice: Notice | null; refreshPanel: boolean } {
  const notice = { code: event.code, message: event.message };
  if (event.code === "budget_exceeded" && event.clientMsgId) {
    // Said under the message itself, in the person's time; the panel shows what is left.
    const { code, message, limit, resetsAt } = event;
    const error = { code, message, ...(limit ? { limit } : {}), ...(resetsAt ? { resetsAt } : {}) };
    return {
      view: refuseOutgoing(view, event.clientMsgId, error),
      notice: null,
      refreshPanel: true,
    };
  }
  const call = refusedCall(event);
  if (call) {
    // A decision re-sent after a drop that the api had recorded (its card already gone):
    // nothing to say. One that came too late is always said (the answer goes on without it).
    const said = hasApproval(view, call) || event.code === "approval_expired";
    return { view: dropApproval(view, call), notice: said ? notice : null, refreshPanel: false };
  }
  return { view, notice, refreshPanel: false };
}
