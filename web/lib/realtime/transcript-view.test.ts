import { describe, expect, test } from "bun:test";
import type { ChatItem } from "./chat-state";
import { regenerable, shownItems } from "./transcript-view";

const item = (
  seq: number | null,
  role: ChatItem["role"],
  status: ChatItem["status"] = "complete",
) =>
  ({
    key: seq === null ? "c:x" : `s:${seq}`,
    seq,
    role,
    content: `${role} ${seq}`,
    status,
    clientMsgId: null,
    runId: null,
    tools: [],
  }) satisfies ChatItem;

const sessionId = "11111111-1111-4111-8111-111111111111";

describe("the transcript shows one answer per question", () => {
  test("an answer followed directly by another (a regenerated one) is hidden", () => {
    const items = [
      item(1, "user"),
      item(2, "assistant"),
      item(3, "assistant"),
      item(4, "assistant"),
    ];
    expect(shownItems(items).map((i) => i.seq)).toEqual([1, 4]);
  });

  test("a question and its answer, and what is still sending, are all shown", () => {
    const items = [
      item(1, "user"),
      item(2, "assistant"),
      item(3, "user"),
      item(null, "user", "sending"),
    ];
    expect(shownItems(items)).toEqual(items);
  });
});

describe("Regenerate is offered on the last answer once it ended", () => {
  const view = (items: ChatItem[], activeRun: { runId: string; seq: number } | null = null) => ({
    sessionId,
    items,
    activeRun,
    approvals: [],
  });

  test("the last ended answer, whether complete, stopped or failed", () => {
    for (const status of ["complete", "interrupted", "failed"] as const)
      expect(regenerable(view([item(1, "user"), item(2, "assistant", status)]))?.seq).toBe(2);
  });

  test("not while an answer streams, not on a question, not in a new chat", () => {
    const streaming = view([item(1, "user"), item(2, "assistant", "streaming")], {
      runId: "r",
      seq: 2,
    });
    expect(regenerable(streaming)).toBeNull();
    expect(
      regenerable(view([item(1, "user"), item(2, "assistant"), item(null, "user", "sending")])),
    ).toBeNull();
    expect(regenerable({ sessionId: null, items: [], activeRun: null, approvals: [] })).toBeNull();
  });

  test("not while the answer waits for the person's decision", () => {
    // The api would refuse it (busy): the answer goes on once they decide.
    const paused = view([item(1, "user"), item(2, "assistant", "awaiting_approval")]);
    expect(regenerable(paused)).toBeNull();
  });
});
