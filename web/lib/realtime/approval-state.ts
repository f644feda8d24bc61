/**
 * The approval cards of the chat shown (issue 17): tool calls the trainer paused on until the
 * person decides. Pure functions over the chat view, like chat-state.ts. The server is the
 * truth: a card comes from `approval.requested` (live, or replayed by a resume) or from
 * /state's `session.approvals` (a reload), and goes when its decision is recorded
 * (`approval.decided`, on any tab) or when its run is seen going on or ended (a decision
 * missed while the socket was down).
 */
import type { Approval, ApprovalDecision, ServerEvent, Session } from "@trainer2/shared/wire";
import type { ChatItem, ChatView } from "./chat-state";

export type ApprovalCard = Approval & {
  /** The decision this page sent and the server has not answered yet (the buttons wait). */
  sent?: ApprovalDecision;
};

type ApprovalEvent = Extract<ServerEvent, { type: "approval.requested" | "approval.decided" }>;

const sameCall = (a: { runId: string; callId: string }, b: { runId: string; callId: string }) =>
  a.runId === b.runId && a.callId === b.callId;

function toCard(approval: Approval, kept: ApprovalCard | undefined): ApprovalCard {
  const { runId, callId, name, arguments: args, summary, expiresAt } = approval;
  const card: ApprovalCard = { runId, callId, name, arguments: args, summary, expiresAt };
  return kept?.sent ? { ...card, sent: kept.sent } : card;
}

/** Adds or refreshes a card; a decision already sent from here stays sent. */
function upsert(cards: ApprovalCard[], approval: Approval): ApprovalCard[] {
  const index = cards.findIndex((card) => sameCall(card, approval));
  if (index === -1) return [...cards, toCard(approval, undefined)];
  return cards.map((card, i) => (i === index ? toCard(approval, card) : card));
}

/** The answer a card belongs to shows as paused, whatever the page thought before. */
function pauseItem(items: ChatItem[], runId: string, seq: number): ChatItem[] {
  return items.map((item) =>
    item.role === "assistant" && (item.runId === runId || item.seq === seq)
      ? { ...item, runId, status: "awaiting_approval" as const }
      : item,
  );
}

/** Cards whose answer is seen streaming again or ended were decided (maybe while offline). */
export function pruneApprovals(view: ChatView): ChatView {
  // Run on every event of the chat, deltas included: nothing to do without a card.
  if (view.approvals.length === 0) return view;
  // Answers only: a stored question carries its run's id too, and is always complete. Counting
  // it took a reload's card away whenever /state (or a replayed message) came after the card.
  const moved = new Set(
    view.items
      .filter(
        (item) => item.role === "assistant" && item.runId && item.status !== "awaiting_approval",
      )
      .map((item) => item.runId),
  );
  const approvals = view.approvals.filter((card) => !moved.has(card.runId));
  return approvals.length === view.approvals.length ? view : { ...view, approvals };
}

/** `approval.requested` and `approval.decided` of the chat shown; others leave it unchanged. */
export function applyApprovalEvent(view: ChatView, event: ApprovalEvent): ChatView {
  if (event.sessionId !== view.sessionId) return view;
  if (event.type === "approval.decided")
    return { ...view, approvals: view.approvals.filter((card) => !sameCall(card, event)) };
  const { type: _type, sessionId: _sessionId, seq, ...approval } = event;
  return {
    ...view,
    items: pauseItem(view.items, event.runId, seq),
    approvals: upsert(view.approvals, approval),
  };
}

/**
 * A stored session (GET /state) brings the chat's pending calls: they replace the cards held
 * (what it lacks was decided meanwhile), keeping a decision on its way from this page.
 */
export function loadApprovals(view: ChatView, session: Session): ChatView {
  if (session.id !== view.sessionId) return view;
  const pending = session.approvals ?? [];
  const approvals = pending.map((approval) =>
    toCard(
      approval,
      view.approvals.find((card) => sameCall(card, approval)),
    ),
  );
  return pruneApprovals({ ...view, approvals });
}

/** The person decided on a card: it waits for the server's word (the frame may be queued). */
export function markSent(
  view: ChatView,
  call: { runId: string; callId: string },
  decision: ApprovalDecision,
): ChatView {
  const approvals = view.approvals.map((card) =>
    sameCall(card, call) ? { ...card, sent: decision } : card,
  );
  return { ...view, approvals };
}

/** A refusal of the decision (decided elsewhere, gone): the card goes; the answer says the rest. */
export function dropApproval(view: ChatView, call: { runId: string; callId: string }): ChatView {
  return { ...view, approvals: view.approvals.filter((card) => !sameCall(card, call)) };
}

export const hasApproval = (view: ChatView, call: { runId: string; callId: string }) =>
  view.approvals.some((card) => sameCall(card, call));

/** True while the trainer waits for the person: nothing new can be sent until they decide. */
export const waitingForDecision = (view: ChatView) =>
  view.approvals.length > 0 || view.items.some((item) => item.status === "awaiting_approval");
