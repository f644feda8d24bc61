/**
 * Messages the person is sending, before the api stores them (or refuses them): part of the
 * chat view (chat-state.ts), kept apart so each file stays readable.
 */
import type { ChatItem, ChatView } from "./chat-state";

/** A message the api refused and never stored: it stays (with why) until the next one is sent. */
const refused = (item: ChatItem) => item.role === "user" && item.status === "failed";

export function addOutgoing(view: ChatView, clientMsgId: string, text: string): ChatView {
  const item: ChatItem = {
    key: `c:${clientMsgId}`,
    seq: null,
    role: "user",
    content: text,
    status: "sending",
    clientMsgId,
    runId: null,
    tools: [],
  };
  return { ...view, items: [...view.items.filter((i) => !refused(i)), item] };
}

/** The api refused a message being sent (a budget): it reads as not sent, and why. */
export function refuseOutgoing(
  view: ChatView,
  clientMsgId: string,
  error: NonNullable<ChatItem["error"]>,
): ChatView {
  const items = view.items.map((item) =>
    item.status === "sending" && item.clientMsgId === clientMsgId
      ? { ...item, status: "failed" as const, error }
      : item,
  );
  return { ...view, items };
}

/** Takes a refused message out (its Retry sends the text again as a new message). */
export const dropRefused = (view: ChatView, key: string): ChatView => ({
  ...view,
  items: view.items.filter((item) => !(item.key === key && refused(item))),
});
