import { describe, expect, test } from "bun:test";
import type { Message, ServerEvent } from "@trainer2/shared/wire";
import { apply, id, message, other, run, sid } from "../testing/messages";
import {
  addOutgoing,
  appendAt,
  dropRefused,
  emptyChat,
  fromMessage,
  loadSession,
  refuseOutgoing,
  resumeAfterSeq,
} from "./chat-state";

const delta = (seq: number, offset: number, text: string): ServerEvent => ({
  type: "delta",
  runId: run,
  sessionId: sid,
  seq,
  offset,
  text,
});

describe("appendAt", () => {
  test("drops what is already there and appends only the rest", () => {
    expect(appendAt("Hello", 0, "Hel")).toBe("Hello");
    expect(appendAt("Hello", 3, "lo wo")).toBe("Hello wo");
    expect(appendAt("Hello", 5, " world")).toBe("Hello world");
    expect(appendAt("", 0, "Hi")).toBe("Hi");
  });

  test("text after a gap is left for the catch-up to fill", () => {
    expect(appendAt("Hello", 8, "ld")).toBe("Hello");
  });
});

describe("chat view", () => {
  test("a new chat adopts its session from the echo and streams the answer", () => {
    let view = addOutgoing(emptyChat(), "c1", "my goal is to run a 5k");
    expect(view.items[0]?.status).toBe("sending");
    view = apply(
      view,
      {
        type: "message",
        sessionId: sid,
        message: message(1, { clientMsgId: "c1", content: "my goal is to run a 5k" }),
      },
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c1", seq: 2 },
      delta(2, 0, "Great "),
      {
        type: "tool",
        runId: run,
        sessionId: sid,
        seq: 2,
        name: "update_profile",
        status: "started",
      },
      delta(2, 6, "goal!"),
      {
        type: "tool",
        runId: run,
        sessionId: sid,
        seq: 2,
        name: "update_profile",
        status: "ok",
        summary: "Updated your profile",
      },
    );
    expect(view.sessionId).toBe(sid);
    expect(view.activeRun).toEqual({ runId: run, seq: 2 });
    expect(view.items.map((i) => [i.seq, i.role, i.content, i.status])).toEqual([
      [1, "user", "my goal is to run a 5k", "complete"],
      [2, "assistant", "Great goal!", "streaming"],
    ]);
    expect(view.items[1]?.tools).toEqual([
      { name: "update_profile", status: "ok", summary: "Updated your profile" },
    ]);
    view = apply(view, {
      type: "run.completed",
      runId: run,
      sessionId: sid,
      seq: 2,
      messageId: id(2),
    });
    expect(view.activeRun).toBeNull();
    expect(view.items[1]?.status).toBe("complete");
  });

  test("replayed deltas and messages after a resume leave exactly one copy", () => {
    let view = loadSession(emptyChat(), { id: sid, title: null, messages: [message(1)] });
    view = apply(
      view,
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "x", seq: 2 },
      delta(2, 0, "Once upon"),
    );
    expect(resumeAfterSeq(view)).toBe(1);
    // The api replays the answer so far from offset 0, then continues.
    view = apply(
      view,
      { type: "message", sessionId: sid, message: message(1) },
      delta(2, 0, "Once upon a time"),
      delta(2, 16, " there was"),
      delta(2, 9, " a time"),
    );
    expect(view.items.map((i) => i.content)).toEqual(["m1", "Once upon a time there was"]);
    view = apply(view, {
      type: "message",
      sessionId: sid,
      message: message(2, { content: "Once upon a time there was", runId: run }),
    });
    expect(view.items).toHaveLength(2);
    expect(resumeAfterSeq(view)).toBe(2);
  });

  test("live deltas that overtake the resume's catch-up do not garble the answer", () => {
    // Dropped after "Once upon"; the new socket follows the session before the resume
    // frame is handled, so a live delta arrives first, then the catch-up from offset 0.
    let view = apply(emptyChat(sid), delta(2, 0, "Once upon"));
    view = apply(
      view,
      delta(2, 16, " there"),
      delta(2, 0, "Once upon a time there"),
      delta(2, 22, " was"),
    );
    expect(view.items[0]?.content).toBe("Once upon a time there was");
  });

  test("a stored streaming message never shortens what has been received", () => {
    let view = apply(emptyChat(sid), delta(2, 0, "abc"));
    view = apply(view, {
      type: "message",
      sessionId: sid,
      message: message(2, { content: "", status: "streaming", runId: run }),
    });
    expect(view.items[0]?.content).toBe("abc");
  });

  test("Stop ends the run as interrupted; a failure keeps its message", () => {
    const started = apply(
      emptyChat(sid),
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c", seq: 2 },
      delta(2, 0, "partial"),
    );
    const stopped = apply(started, {
      type: "run.failed",
      runId: run,
      sessionId: sid,
      seq: 2,
      code: "cancelled",
      message: "Stopped",
    });
    expect(stopped.items[0]).toMatchObject({ status: "interrupted", content: "partial" });
    expect(stopped.items[0]?.error).toBeUndefined();
    expect(stopped.activeRun).toBeNull();
    const failed = apply(started, {
      type: "run.failed",
      runId: run,
      sessionId: sid,
      seq: 2,
      code: "model_unavailable",
      message: "The model is unavailable",
    });
    expect(failed.items[0]?.error).toEqual({
      code: "model_unavailable",
      message: "The model is unavailable",
    });
  });

  test("a failure before any text is failed; after some text it is interrupted, as stored", () => {
    const started = apply(emptyChat(sid), {
      type: "run.started",
      runId: run,
      sessionId: sid,
      clientMsgId: "c",
      seq: 2,
    });
    const failure: ServerEvent = {
      type: "run.failed",
      runId: run,
      sessionId: sid,
      seq: 2,
      code: "agent_error",
      message: "The connection to the trainer broke.",
    };
    expect(apply(started, failure).items[0]?.status).toBe("failed");
    const cut = apply(started, delta(2, 0, "Chapter 1."), failure).items[0];
    expect(cut).toMatchObject({ status: "interrupted", content: "Chapter 1." });
    // The reason and its Retry stay visible.
    expect(cut?.error?.code).toBe("agent_error");
  });

  test("events of another session are ignored", () => {
    const view = loadSession(emptyChat(), { id: sid, title: null, messages: [message(1)] });
    const after = apply(view, { ...delta(2, 0, "elsewhere"), sessionId: other } as ServerEvent);
    expect(after).toBe(view);
  });

  test("loading a session keeps messages still being sent; resume point stops at streaming", () => {
    let view = addOutgoing(emptyChat(sid), "c9", "pending");
    view = loadSession(view, {
      id: sid,
      title: "t",
      messages: [
        message(1),
        message(2),
        message(3),
        message(4, { status: "streaming", runId: run }),
      ],
    });
    expect(view.items.map((i) => i.key)).toEqual(["s:1", "s:2", "s:3", "s:4", "c:c9"]);
    expect(view.activeRun).toEqual({ runId: run, seq: 4 });
    expect(resumeAfterSeq(view)).toBe(3);
  });

  test("a run.started for our message settles it even if its echo was missed", () => {
    let view = addOutgoing(emptyChat(sid), "c1", "hi");
    view = apply(view, {
      type: "run.started",
      runId: run,
      sessionId: sid,
      clientMsgId: "c1",
      seq: 2,
    });
    expect(view.items.map((i) => [i.seq, i.status])).toEqual([
      [1, "complete"],
      [2, "streaming"],
    ]);
  });

  test("a snapshot that lags live events neither shortens nor drops them", () => {
    let view = loadSession(emptyChat(), { id: sid, title: null, messages: [message(1)] });
    view = apply(
      view,
      { type: "message", sessionId: sid, message: message(3, { clientMsgId: "c3" }) },
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c3", seq: 4 },
      delta(4, 0, "live text"),
    );
    view = loadSession(view, {
      id: sid,
      title: null,
      messages: [
        message(1),
        message(2),
        message(3),
        message(4, { content: "live", status: "streaming", runId: run }),
      ],
    });
    expect(view.items.map((i) => [i.seq, i.content])).toEqual([
      [1, "m1"],
      [2, "m2"],
      [3, "m3"],
      [4, "live text"],
    ]);
    expect(view.activeRun).toEqual({ runId: run, seq: 4 });
  });

  test("loading another session replaces the transcript", () => {
    const view = loadSession(emptyChat(), {
      id: sid,
      title: null,
      messages: [message(1), message(2)],
    });
    const switched = loadSession(view, {
      id: other,
      title: null,
      messages: [message(1, { content: "elsewhere" })],
    });
    expect(switched.sessionId).toBe(other);
    expect(switched.items.map((i) => i.content)).toEqual(["elsewhere"]);
  });
});

describe("stored messages after a reload", () => {
  const tool = (
    name: string,
    status: "started" | "ok" | "error",
    summary?: string,
  ): ServerEvent => ({
    type: "tool",
    runId: run,
    sessionId: sid,
    seq: 2,
    name,
    status,
    ...(summary ? { summary } : {}),
  });

  test("an answer brings its tool lines and the reason it ended", () => {
    const item = fromMessage(
      message(2, {
        runId: run,
        status: "interrupted",
        errorCode: "shutdown",
        tools: [
          { name: "update_profile", status: "ok", summary: "update_profile done" },
          { name: "log_workout", status: "error", summary: "Date is in the future" },
        ],
      }),
    );
    expect(item.tools).toEqual([
      { name: "update_profile", status: "ok", summary: "update_profile done" },
      { name: "log_workout", status: "error", summary: "Date is in the future" },
    ]);
    expect(item).toMatchObject({ status: "interrupted", error: { code: "shutdown" } });
  });

  test("a Stop stays 'Stopped' (no error), also when no text had come yet", () => {
    // The api stores a Stop as interrupted however much text came (migration 0002 mended
    // the Stops an older api stored as failed): the page takes the status as it is.
    const item = fromMessage(
      message(2, { status: "interrupted", content: "", errorCode: "cancelled" }),
    );
    expect(item.status).toBe("interrupted");
    expect(item.error).toBeUndefined();
  });

  test("messages without the new fields (an older api) read as before", () => {
    const item = fromMessage(message(2, { status: "failed" }));
    expect(item).toMatchObject({ status: "failed", tools: [] });
    expect(item.error).toBeUndefined();
    expect(fromMessage(message(2, { errorCode: null })).error).toBeUndefined();
  });

  test("a reload shows what the live page showed", () => {
    const live = apply(
      emptyChat(sid),
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c", seq: 2 },
      tool("update_profile", "started"),
      tool("update_profile", "ok", "update_profile done"),
      delta(2, 0, "Saved. Now"),
      {
        type: "run.failed",
        runId: run,
        sessionId: sid,
        seq: 2,
        code: "model_timeout",
        message: "whatever the server said",
      },
    ).items[0]!;
    const reloaded = loadSession(emptyChat(), {
      id: sid,
      title: null,
      messages: [
        message(2, {
          runId: run,
          content: "Saved. Now",
          status: "interrupted",
          errorCode: "model_timeout",
          tools: [{ name: "update_profile", status: "ok", summary: "update_profile done" }],
        }),
      ],
    }).items[0]!;
    const shown = (item: typeof live) => ({
      status: item.status,
      content: item.content,
      tools: item.tools,
      code: item.error?.code,
    });
    expect(shown(reloaded)).toEqual(shown(live));
  });

  test("a replayed answer's lines replace ours, even while it is being written", () => {
    let view = apply(
      emptyChat(sid),
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c", seq: 2 },
      tool("get_profile", "started"),
      delta(2, 0, "Looking"),
    );
    // Dropped here; get_profile ended meanwhile. The replay has the lines as of the resume.
    view = apply(view, {
      type: "message",
      sessionId: sid,
      message: message(2, {
        runId: run,
        content: "",
        status: "streaming",
        tools: [{ name: "get_profile", status: "ok", summary: "get_profile done" }],
      }),
    });
    expect(view.items[0]?.content).toBe("Looking");
    expect(view.items[0]?.tools).toEqual([
      { name: "get_profile", status: "ok", summary: "get_profile done" },
    ]);
    // A replay without tools (a user's echo, an older api) keeps what we have.
    view = apply(view, {
      type: "message",
      sessionId: sid,
      message: message(2, { runId: run, content: "", status: "streaming" }),
    });
    expect(view.items[0]?.tools).toHaveLength(1);
  });

  test("a snapshot keeps live lines of an answer still being written, takes stored ones after", () => {
    const streaming = apply(
      emptyChat(sid),
      { type: "run.started", runId: run, sessionId: sid, clientMsgId: "c", seq: 2 },
      tool("update_profile", "started"),
    );
    const snapshot = (status: Message["status"]) =>
      loadSession(streaming, {
        id: sid,
        title: null,
        messages: [
          message(2, {
            runId: run,
            content: "",
            status,
            tools: [{ name: "update_profile", status: "ok", summary: "update_profile done" }],
          }),
        ],
      }).items[0]?.tools;
    expect(snapshot("streaming")).toEqual([{ name: "update_profile", status: "started" }]);
    expect(snapshot("complete")).toEqual([
      { name: "update_profile", status: "ok", summary: "update_profile done" },
    ]);
  });
});

describe("a message a budget refused", () => {
  const refusal = {
    code: "budget_exceeded" as const,
    message: "Not enough of today's budget is left.",
    limit: "daily_tokens" as const,
    resetsAt: "2026-12-02T00:00:00.000Z",
  };

  test("reads as not sent, with why; the next message sent replaces it", () => {
    let view = apply(emptyChat(sid), { type: "message", sessionId: sid, message: message(1) });
    view = addOutgoing(view, "r1", "one more");
    view = refuseOutgoing(view, "r1", refusal);
    const refused = view.items.at(-1)!;
    expect(refused).toMatchObject({ role: "user", status: "failed", error: refusal, seq: null });
    // Nothing is streaming: the composer stays open.
    expect(view.activeRun).toBeNull();
    view = addOutgoing(view, "r2", "later");
    expect(view.items.map((item) => [item.content, item.status])).toEqual([
      ["m1", "complete"],
      ["later", "sending"],
    ]);
  });

  test("only a message still being sent can be refused; Retry takes it out first", () => {
    let view = addOutgoing(emptyChat(sid), "r1", "one more");
    expect(refuseOutgoing(view, "other", refusal)).toEqual(view);
    view = refuseOutgoing(view, "r1", refusal);
    const key = view.items[0]!.key;
    expect(dropRefused(view, key).items).toEqual([]);
    expect(dropRefused(addOutgoing(emptyChat(sid), "s", "x"), "c:s").items).toHaveLength(1);
  });
});
