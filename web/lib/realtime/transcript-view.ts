/**
 * What the transcript shows of the chat's items, and what it offers on them. Pure, so the
 * rules are tested without a browser.
 */
import { type ChatItem, type ChatView, isFinal } from "./chat-state";

/**
 * An answer followed directly by another was regenerated (the api keeps both, in order):
 * only the newest answer to a question is shown, as the agent's context only holds that one.
 */
export function shownItems(items: ChatItem[]): ChatItem[] {
  return items.filter((item, index) => !isReplaced(item, items[index + 1]));
}

const isReplaced = (item: ChatItem, next: ChatItem | undefined) =>
  item.role === "assistant" &&
  next?.role === "assistant" &&
  item.seq !== null &&
  next.seq === item.seq + 1;

/**
 * The answer "Regenerate" applies to: the chat's last item, once it ended (not while it
 * streams or waits for the person's decision), with no run on.
 */
export function regenerable(view: ChatView): ChatItem | null {
  const last = view.items.at(-1);
  if (!view.sessionId || view.activeRun || !last) return null;
  if (last.role !== "assistant" || last.seq === null || !isFinal(last)) return null;
  return last;
}
