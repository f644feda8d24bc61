import { describe, expect, test } from "bun:test";
import type { Approval, ServerEvent, Session } from "@trainer2/shared/wire";
import { apply, id, message, other, run, sid } from "../testing/messages";
import { markSent, waitingForDecision } from "./approval-state";
import { type ChatView, emptyChat, loadSession, resumeAfterSeq } from "./chat-state";
import { applyRefusal } from "./refusals";

const otherRun = "33333333-3333-4333-8333-333333333333";

const approval = (callId = "call_1", runId = run): Approval => ({
  runId,
  callId,
  name: "delete_workout",
  arguments: { workoutId: id(99) },
  summary: "Delete your 30 min run of 2026-11-28.",
  expiresAt: "2026-11-30T17:00:00.000Z",
});

const requested = (callId = "call_1", seq = 2, runId = run): ServerEvent => ({
  type: "approval.requested",
  sessionId: sid,
  seq,
  ...approval(callId, runId),
});

const decided = (callId = "call_1"): ServerEvent => ({
  type: "approval.decided",
  runId: run,
  sessionId: sid,
  callId,
  decision: "approved",
});

/** A chat whose answer (seq 2) is streaming: the run of `run`. */
function streamingChat(): ChatView {
  return apply(
    emptyChat(sid),
    { type: "message", sessionId: sid, message: message(1, { clientMsgId: "c1" }) },
    { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c1", seq: 2 },
    { type: "delta", runId: run, sessionId: sid, seq: 2, offset: 0, text: "Let me check." },
  );
}

const paused = (content = "Let me check.") =>
  message(2, { runId: run, status: "awaiting_approval", content });

describe("approval cards in the chat view", () => {
  test("a paused answer shows its card; the composer waits; the decision takes it away and the answer streams on", () => {
    let view = apply(
      streamingChat(),
      { type: "message", sessionId: sid, message: paused() },
      requested(),
    );
    expect(view.items.at(-1)?.status).toBe("awaiting_approval");
    // Nothing streams, yet nothing may be sent: the trainer waits for the person.
    expect(view.activeRun).toBeNull();
    expect(waitingForDecision(view)).toBe(true);
    expect(view.approvals.map((card) => [card.callId, card.summary])).toEqual([
      ["call_1", "Delete your 30 min run of 2026-11-28."],
    ]);
    // A paused answer is not final: a resume replays it (and its cards).
    expect(resumeAfterSeq(view)).toBe(1);

    view = markSent(view, { runId: run, callId: "call_1" }, "approve");
    expect(view.approvals[0]?.sent).toBe("approve");
    view = apply(view, decided(), {
      type: "run.started",
      runId: run,
      sessionId: sid,
      clientMsgId: "c1",
      seq: 2,
    });
    expect(view.approvals).toEqual([]);
    expect(view.items.at(-1)?.status).toBe("streaming");
    expect(view.activeRun).toEqual({ runId: run, seq: 2 });
    view = apply(view, {
      type: "delta",
      runId: run,
      sessionId: sid,
      seq: 2,
      offset: 13,
      text: " Done.",
    });
    expect(view.items.at(-1)?.content).toBe("Let me check. Done.");
    expect(waitingForDecision(view)).toBe(false);
  });

  test("the card alone pauses the answer (its message missed), and a replayed card is one card", () => {
    let view = apply(streamingChat(), requested(), requested());
    expect(view.items.at(-1)?.status).toBe("awaiting_approval");
    expect(view.approvals).toHaveLength(1);
    // A decision already sent from this page stays sent when the card is replayed (a resume).
    view = markSent(view, { runId: run, callId: "call_1" }, "reject");
    view = apply(view, requested());
    expect(view.approvals[0]?.sent).toBe("reject");
  });

  test("a decision missed while offline: the replayed answer, going on or ended, takes its cards away", () => {
    const view = apply(streamingChat(), { type: "message", sessionId: sid, message: paused() });
    const withCards = apply(view, requested("call_1"), requested("call_2"));
    expect(withCards.approvals).toHaveLength(2);
    const replay = message(2, { runId: run, status: "complete", content: "Done." });
    const after = apply(withCards, { type: "message", sessionId: sid, message: replay });
    expect(after.approvals).toEqual([]);
    expect(after.items.at(-1)?.status).toBe("complete");
    // One decided of two: the other card stays.
    expect(apply(withCards, decided("call_1")).approvals.map((c) => c.callId)).toEqual(["call_2"]);
  });

  test("cards of another chat, or of another run still waiting, are left alone", () => {
    const view = apply(streamingChat(), { type: "message", sessionId: sid, message: paused() });
    const foreign = { ...requested(), sessionId: other } as ServerEvent;
    expect(apply(view, foreign)).toBe(view);
    const two = apply(view, requested("call_1"), requested("call_9", 2, otherRun));
    // A run whose answer the view does not hold keeps its card (shown at the end).
    expect(two.approvals.map((c) => c.runId)).toEqual([run, otherRun]);
  });

  test("a reload: /state brings the pending calls; what it lacks was decided meanwhile", () => {
    const session: Session = {
      id: sid,
      title: null,
      messages: [message(1, { clientMsgId: "c1" }), paused()],
      approvals: [approval("call_1")],
    };
    const loaded = loadSession(emptyChat(sid), session);
    expect(loaded.approvals.map((c) => c.callId)).toEqual(["call_1"]);
    expect(waitingForDecision(loaded)).toBe(true);
    // A later load keeps a decision on its way from this page, and drops a card decided elsewhere.
    const sent = markSent(
      apply(loaded, requested("call_2")),
      { runId: run, callId: "call_1" },
      "approve",
    );
    const again = loadSession(sent, session);
    expect(again.approvals.map((c) => [c.callId, c.sent])).toEqual([["call_1", "approve"]]);
    // Another chat opened: no cards of this one.
    const elsewhere = loadSession(again, { id: other, title: null, messages: [] });
    expect(elsewhere.approvals).toEqual([]);
    expect(waitingForDecision(elsewhere)).toBe(false);
  });

  test("after a reload the resume's card stays, whatever comes after it: /state, or the question again", () => {
    // Stored questions carry the id of the run that answers them, as the api sends them.
    const question = message(1, { clientMsgId: "c1", runId: run });
    const resumed = apply(
      emptyChat(sid),
      { type: "message", sessionId: sid, message: question },
      { type: "message", sessionId: sid, message: paused() },
      requested(),
    );
    expect(resumed.approvals.map((c) => c.callId)).toEqual(["call_1"]);
    // The page's /state, asked for before the socket's resume, answers after its card.
    const session: Session = {
      id: sid,
      title: null,
      messages: [question, paused()],
      approvals: [approval("call_1")],
    };
    const loaded = loadSession(resumed, session);
    expect(loaded.approvals.map((c) => c.callId)).toEqual(["call_1"]);
    // The second resume (the page follows the session once loaded) replays the question first.
    const replayed = apply(loaded, { type: "message", sessionId: sid, message: question });
    expect(replayed.approvals.map((c) => c.callId)).toEqual(["call_1"]);
    expect(waitingForDecision(replayed)).toBe(true);
  });

  test("a stored answer that went on replaces the paused one, and its cards go", () => {
    const view = apply(
      streamingChat(),
      { type: "message", sessionId: sid, message: paused() },
      requested(),
    );
    const session: Session = {
      id: sid,
      title: null,
      messages: [
        message(1, { clientMsgId: "c1" }),
        message(2, { runId: run, status: "complete", content: "Let me check. Done." }),
      ],
    };
    const loaded = loadSession(view, session);
    expect(loaded.approvals).toEqual([]);
    expect(loaded.items.at(-1)?.status).toBe("complete");
  });
});

describe("refusals of a decision", () => {
  const withCard = () =>
    apply(streamingChat(), { type: "message", sessionId: sid, message: paused() }, requested());
  const refusal = (
    code: "conflict" | "not_found" | "approval_expired",
  ): ServerEvent & {
    type: "error";
  } => ({ type: "error", code, message: `said: ${code}`, runId: run, callId: "call_1" });

  test("final: the card goes and the page says why", () => {
    for (const code of ["conflict", "not_found"] as const) {
      const { view, notice } = applyRefusal(withCard(), refusal(code));
      expect(view.approvals).toEqual([]);
      expect(notice).toEqual({ code, message: `said: ${code}` });
    }
  });

  test("a re-sent decision the api had recorded (its card gone) says nothing; a late one always does", () => {
    const gone = apply(withCard(), decided());
    expect(applyRefusal(gone, refusal("conflict")).notice).toBeNull();
    expect(applyRefusal(gone, refusal("approval_expired")).notice?.code).toBe("approval_expired");
  });

  test("other errors are notices and leave the cards alone", () => {
    const view = withCard();
    const result = applyRefusal(view, { type: "error", code: "unavailable", message: "down" });
    expect(result.view).toBe(view);
    expect(result.notice).toEqual({ code: "unavailable", message: "down" });
  });
});
