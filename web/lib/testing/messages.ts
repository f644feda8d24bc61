/**
 * Stored messages and ids for the chat view's unit tests (chat-state, approval-state): one
 * chat (`sid`), one run (`run`), and messages whose role follows their seq (odd: the person).
 */
import type { Message, ServerEvent } from "@trainer2/shared/wire";
import { applyEvent, type ChatView } from "../realtime/chat-state";

export const sid = "11111111-1111-4111-8111-111111111111";
export const other = "44444444-4444-4444-8444-444444444444";
export const run = "22222222-2222-4222-8222-222222222222";
export const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

export const message = (seq: number, over: Partial<Message> = {}): Message => ({
  id: id(seq),
  seq,
  role: seq % 2 ? "user" : "assistant",
  content: `m${seq}`,
  status: "complete",
  runId: null,
  clientMsgId: null,
  createdAt: "2026-01-01T00:00:00Z",
  ...over,
});

/** The view after each event in turn. */
export const apply = (view: ChatView, ...events: ServerEvent[]) => events.reduce(applyEvent, view);
