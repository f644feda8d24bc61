/**
 * The chat transcript as the browser shows it, built from stored messages (GET /state) and
 * live /realtime events. Pure functions: every event may arrive twice (replays after a
 * resume) or out of the blue (another tab), and must still leave one copy of each message.
 */
import { endedStatus, type FailureCode } from "@trainer2/shared/failures";
import type { BudgetLimit, Message, ServerEvent, Session } from "@trainer2/shared/wire";
import {
  type ApprovalCard,
  applyApprovalEvent,
  loadApprovals,
  pruneApprovals,
} from "./approval-state";

import { appendAt, upsertTool } from "./stream-merge";

export { addOutgoing, dropRefused, refuseOutgoing } from "./outgoing";
export { appendAt } from "./stream-merge";

export type ToolLine = { name: string; status: "started" | "ok" | "error"; summary?: string };
export type ItemStatus =
  | "sending"
  | "streaming"
  | "awaiting_approval"
  | "complete"
  | "interrupted"
  | "failed";

export type ChatItem = {
  /** Stable React key: the client id while sending, the seq once stored. */
  key: string;
  seq: number | null;
  role: "user" | "assistant";
  content: string;
  status: ItemStatus;
  clientMsgId: string | null;
  runId: string | null;
  tools: ToolLine[];
  /**
   * Why the answer ended early, unless the person stopped it. Live failures bring the
   * server's message; stored ones only their code: the page words both from the code
   * (components/chat/failure-line.ts). A message the api refused (`budget_exceeded`) was
   * never stored: it names the limit and when it resets.
   */
  error?: { code: FailureCode; message?: string; limit?: BudgetLimit; resetsAt?: string };
};

export type ChatView = {
  sessionId: string | null;
  items: ChatItem[];
  activeRun: { runId: string; seq: number } | null;
  /** Tool calls of this chat waiting for the person's decision (approval-state.ts). */
  approvals: ApprovalCard[];
};

const finalStatuses: ReadonlySet<ItemStatus> = new Set(["complete", "interrupted", "failed"]);
export const isFinal = (item: ChatItem) => finalStatuses.has(item.status);

export const emptyChat = (sessionId: string | null = null): ChatView => ({
  sessionId,
  items: [],
  activeRun: null,
  approvals: [],
});

/** A Stop reads "Stopped", not as a failure. */
const stoppedBy = (code: FailureCode | null) => code === "cancelled";

/** A stored message as the live page would show it: its run's tool lines, and why it ended. */
export function fromMessage(message: Message): ChatItem {
  const code = message.errorCode ?? null;
  const stopped = stoppedBy(code);
  const ended = message.status === "interrupted" || message.status === "failed";
  return {
    key: `s:${message.seq}`,
    seq: message.seq,
    role: message.role,
    content: message.content,
    status: message.status,
    clientMsgId: message.clientMsgId,
    runId: message.runId,
    tools: (message.tools ?? []).map(({ name, status, summary }) => ({
      name,
      status,
      ...(summary ? { summary } : {}),
    })),
    ...(code !== null && ended && !stopped ? { error: { code } } : {}),
  };
}

/** Stored tool lines are the truth for a finished answer; the live ones otherwise. */
const toolsOf = (message: Message, stored: ChatItem, mine: ChatItem) =>
  message.tools !== undefined && finalStatuses.has(message.status) ? stored.tools : mine.tools;

function sorted(items: ChatItem[]): ChatItem[] {
  // Stored items by seq; anything still sending goes last, in the order it was typed.
  return [...items].sort(
    (a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER),
  );
}

function activeRunOf(items: ChatItem[]): ChatView["activeRun"] {
  const streaming = items.findLast((i) => i.status === "streaming" && i.runId && i.seq !== null);
  return streaming ? { runId: streaming.runId!, seq: streaming.seq! } : null;
}

/**
 * Merge a stored session (GET /state) into the view. Live events may have arrived while it
 * loaded, so a stored message replaces ours only when it is final or longer; messages the
 * snapshot does not have yet, and what the user is still sending, are kept.
 */
export function loadSession(view: ChatView, session: Session | null): ChatView {
  if (!session) return view;
  const base =
    session.id === view.sessionId
      ? view
      : { ...emptyChat(session.id), items: view.items.filter((i) => i.status === "sending") };
  const bySeq = new Map(base.items.filter((i) => i.seq !== null).map((i) => [i.seq, i]));
  const storedIds = new Set(session.messages.map((m) => m.clientMsgId).filter(Boolean));
  const merged = session.messages.map((message) => {
    const stored = fromMessage(message);
    const mine = bySeq.get(message.seq);
    bySeq.delete(message.seq);
    if (!mine) return stored;
    if (!finalStatuses.has(message.status) && mine.content.length > stored.content.length)
      return mine;
    return { ...stored, key: mine.key, tools: toolsOf(message, stored, mine) };
  });
  const rest = base.items.filter(
    (i) =>
      (i.seq !== null && bySeq.has(i.seq)) ||
      (i.status === "sending" && !storedIds.has(i.clientMsgId)),
  );
  const items = sorted([...merged, ...rest]);
  const next = { ...base, sessionId: session.id, items, activeRun: activeRunOf(items) };
  return loadApprovals(next, session);
}

/** The highest seq up to which this view holds every message in its final form. */
export function resumeAfterSeq(view: ChatView): number {
  let after = 0;
  for (const item of view.items) {
    if (item.seq === null) continue;
    if (!isFinal(item)) break;
    after = item.seq;
  }
  return after;
}

function update(
  view: ChatView,
  seq: number,
  change: (item: ChatItem) => ChatItem,
  seed: () => ChatItem,
) {
  const index = view.items.findIndex((i) => i.seq === seq);
  const items =
    index === -1
      ? sorted([...view.items, change(seed())])
      : view.items.map((item, i) => (i === index ? change(item) : item));
  return { ...view, items };
}

const assistantSeed = (seq: number, runId: string) => (): ChatItem => ({
  key: `s:${seq}`,
  seq,
  role: "assistant",
  content: "",
  status: "streaming",
  clientMsgId: null,
  runId,
  tools: [],
});

function applyMessage(view: ChatView, message: Message): ChatView {
  const incoming = fromMessage(message);
  const items = view.items.filter(
    (i) =>
      !(
        i.status === "sending" &&
        message.clientMsgId &&
        i.clientMsgId === message.clientMsgId &&
        message.role === "user"
      ),
  );
  const next = update(
    { ...view, items },
    message.seq,
    (item) => {
      if (item === incoming) return item;
      // A replay's tool lines are as of the moment the socket started following (see the
      // api's resume), so they replace ours even while the answer is still being written.
      const tools = message.tools === undefined ? item.tools : incoming.tools;
      // A stored final (or paused) message is the truth; a stored streaming one may lag our deltas.
      if (finalStatuses.has(message.status) || message.status === "awaiting_approval")
        return { ...incoming, tools, key: item.key };
      return item.content.length >= incoming.content.length
        ? { ...item, tools }
        : { ...incoming, tools, key: item.key };
    },
    () => incoming,
  );
  return { ...next, activeRun: activeRunOf(next.items) };
}

const ownsClientMsg = (view: ChatView, clientMsgId: string) =>
  view.items.some((i) => i.clientMsgId === clientMsgId && i.status === "sending");

function adoptSession(view: ChatView, event: ServerEvent): ChatView | null {
  if (!("sessionId" in event) || !event.sessionId) return view;
  if (event.sessionId === view.sessionId) return view;
  // A new chat learns its session id from the echo of its first message.
  const clientMsgId =
    event.type === "message"
      ? event.message.clientMsgId
      : event.type === "run.started"
        ? event.clientMsgId
        : null;
  if (view.sessionId === null && clientMsgId && ownsClientMsg(view, clientMsgId))
    return { ...view, sessionId: event.sessionId };
  return null;
}

/** If the echo of our message was missed, its run still proves it was stored (just before). */
function settleSending(view: ChatView, clientMsgId: string, seq: number): ChatView {
  if (view.items.some((i) => i.seq === seq)) return view;
  const items = view.items.map((i) =>
    i.status === "sending" && i.clientMsgId === clientMsgId
      ? { ...i, seq, key: `s:${seq}`, status: "complete" as const }
      : i,
  );
  return { ...view, items: sorted(items) };
}

/** Apply one server event. Events of other sessions leave the view unchanged. */
export function applyEvent(view: ChatView, event: ServerEvent): ChatView {
  if (event.type === "approval.requested" || event.type === "approval.decided")
    return applyApprovalEvent(view, event);
  const next = applyChatEvent(view, event);
  return next === view ? view : pruneApprovals(next);
}

function applyChatEvent(view: ChatView, event: ServerEvent): ChatView {
  let own = adoptSession(view, event);
  if (own === null) return view;
  switch (event.type) {
    case "message":
      return applyMessage(own, event.message);
    case "run.started": {
      own = settleSending(own, event.clientMsgId, event.seq - 1);
      const next = update(
        own,
        event.seq,
        (item) =>
          isFinal(item)
            ? item
            : // A paused answer going on after the person's decision streams again.
              { ...item, runId: event.runId, status: "streaming" },
        assistantSeed(event.seq, event.runId),
      );
      return { ...next, activeRun: activeRunOf(next.items) };
    }
    case "delta":
      return update(
        own,
        event.seq,
        (item) =>
          isFinal(item)
            ? item
            : { ...item, content: appendAt(item.content, event.offset, event.text) },
        assistantSeed(event.seq, event.runId),
      );
    case "tool": {
      const line: ToolLine = {
        name: event.name,
        status: event.status,
        ...(event.summary ? { summary: event.summary } : {}),
      };
      return update(
        own,
        event.seq,
        (item) => ({ ...item, tools: upsertTool(item.tools, line) }),
        assistantSeed(event.seq, event.runId),
      );
    }
    case "run.completed": {
      const next = update(
        own,
        event.seq,
        (item) => ({ ...item, status: "complete" }),
        assistantSeed(event.seq, event.runId),
      );
      return { ...next, activeRun: activeRunOf(next.items) };
    }
    case "run.failed": {
      const stopped = stoppedBy(event.code);
      const next = update(
        own,
        event.seq,
        (item) =>
          isFinal(item) && item.status !== "failed"
            ? item
            : {
                ...item,
                // As the api stores it (one rule), so a reload shows what the live page did.
                status: endedStatus(event.code, item.content),
                ...(stopped ? {} : { error: { code: event.code, message: event.message } }),
              },
        assistantSeed(event.seq, event.runId),
      );
      return { ...next, activeRun: activeRunOf(next.items) };
    }
    default:
      return own;
  }
}
