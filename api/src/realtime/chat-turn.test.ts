import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type AgentDouble, answer, manual } from "../testing/agent-double.ts";
import { startTestApi, type TestApi } from "../testing/index.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import { openSocket } from "../testing/test-socket.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;
let api: TestApi;
let agent: AgentDouble;

beforeAll(async () => {
  stage = await startRealtimeStage({ realtime: { agentIdleTimeoutMs: 400 } });
  ({ api, agent } = stage);
});
afterAll(() => stage.close());

const signedIn = (who?: string) => stage.signedIn(who);

async function storedMessages(sessionId: string) {
  return api.sql<
    {
      seq: number;
      role: string;
      content: string;
      status: string;
      items: unknown;
      error_code: string | null;
    }[]
  >`
    select seq, role, content, status, items, error_code from messages
    where session_id = ${sessionId} order by seq`;
}

describe("a chat turn", () => {
  test("streams deltas in order, relays tools, and stores both messages", async () => {
    agent.setScript((io) => {
      io.send({ type: "delta", text: "Hel" });
      io.send({ type: "tool", name: "get_profile", status: "started" });
      io.send({ type: "tool", name: "get_profile", status: "ok", summary: "read profile" });
      io.send({ type: "delta", text: "lo" });
      io.send({ type: "delta", text: " there" });
      io.send({
        type: "completed",
        output: "Hello there",
        items: [
          { role: "user", content: io.request.input },
          { role: "assistant", content: "Hello there" },
        ],
      });
      io.end();
    });
    const { socket, ready } = await signedIn();
    expect(ready.sessionId).toBeNull();
    socket.send({ type: "chat", text: "  I want to run a 5k in the spring  ", clientMsgId: "m1" });

    const message = await socket.next();
    expect(message.type).toBe("message");
    if (message.type !== "message") throw new Error("unreachable");
    expect(message.message).toMatchObject({
      seq: 1,
      role: "user",
      content: "I want to run a 5k in the spring",
      clientMsgId: "m1",
      status: "complete",
    });
    const sessionId = message.sessionId;
    const started = await socket.next();
    expect(started).toMatchObject({ type: "run.started", sessionId, clientMsgId: "m1", seq: 2 });
    const runId = (started as { runId: string }).runId;

    const rest = [];
    for (let i = 0; i < 6; i++) rest.push(await socket.next());
    expect(rest).toEqual([
      { type: "delta", runId, sessionId, seq: 2, offset: 0, text: "Hel" },
      { type: "tool", runId, sessionId, seq: 2, name: "get_profile", status: "started" },
      {
        type: "tool",
        runId,
        sessionId,
        seq: 2,
        name: "get_profile",
        status: "ok",
        summary: "read profile",
      },
      { type: "delta", runId, sessionId, seq: 2, offset: 3, text: "lo" },
      { type: "delta", runId, sessionId, seq: 2, offset: 5, text: " there" },
      expect.objectContaining({ type: "run.completed", runId, sessionId, seq: 2 }),
    ]);

    const rows = await storedMessages(sessionId);
    expect(rows.map((r) => [r.seq, r.role, r.content, r.status])).toEqual([
      [1, "user", "I want to run a 5k in the spring", "complete"],
      [2, "assistant", "Hello there", "complete"],
    ]);
    expect(rows[1]!.items).toEqual([
      { role: "user", content: "I want to run a 5k in the spring" },
      { role: "assistant", content: "Hello there" },
    ]);
    const [session] = await api.sql<{ title: string; last_seq: number }[]>`
      select title, last_seq from chat_sessions where id = ${sessionId}`;
    // The title is the first words of the first message.
    expect(session).toEqual({ title: "I want to run a 5k in the", last_seq: 2 });

    // What the agent received: the request contract and a run token for exactly this run.
    const sent = agent.requests.at(-1)!;
    expect(sent.body).toEqual({
      runId,
      userId: ready.user.id,
      sessionId,
      input: "I want to run a 5k in the spring",
      history: [],
      // The api's capabilities version now, so an agent that is behind syncs first.
      capabilitiesVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
      // The cap on each answer the model is asked for (BUDGET_MAX_OUTPUT_TOKENS).
      maxOutputTokens: 4096,
    });
    expect(sent.claims).toEqual({ runId, userId: ready.user.id, sessionId });

    // The next turn in the session carries the stored items as history.
    agent.setScript(answer("Sure."));
    socket.send({ type: "chat", sessionId, text: "And after that?", clientMsgId: "m2" });
    await socket.next("run.completed");
    expect(agent.requests.at(-1)!.body.history).toEqual([
      { role: "user", content: "I want to run a 5k in the spring" },
      { role: "assistant", content: "Hello there" },
    ]);
    expect((await storedMessages(sessionId)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/chat_turns_total\{outcome="completed",service="api"\} [1-9]/);
    expect(metrics).toMatch(/chat_time_to_first_token_seconds_count\{service="api"\} [1-9]/);
    expect(metrics).toMatch(/ws_connections_open\{service="api"\} [1-9]/);
    socket.close();
  });

  test("a retried chat frame is answered with the stored turn, not stored twice", async () => {
    agent.setScript(answer("once"));
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "hello", clientMsgId: "same" });
    const { sessionId } = await socket.next("message");
    await socket.next("run.completed");
    // Retried without the sessionId, as a client that never saw the first answer would.
    for (const frame of [{}, { sessionId }]) {
      socket.send({ type: "chat", ...frame, text: "hello", clientMsgId: "same" });
      const replay = await socket.drain();
      expect(
        replay.map(
          (e) => e.type === "message" && [e.sessionId, e.message.content, e.message.clientMsgId],
        ),
      ).toEqual([
        [sessionId, "hello", "same"],
        [sessionId, "once", null],
      ]);
    }
    expect((await storedMessages(sessionId)).length).toBe(2);
    expect(agent.requests.filter((r) => r.body.sessionId === sessionId).length).toBe(1);
    socket.close();
  });

  test("a second chat while a run is in flight gets busy", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "first", clientMsgId: "b1" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    socket.send({ type: "chat", sessionId, text: "second", clientMsgId: "b2" });
    expect(await socket.next("error")).toMatchObject({ code: "busy" });
    answer("done")(run);
    await socket.next("run.completed");
    expect((await storedMessages(sessionId)).map((r) => r.content)).toEqual(["first", "done"]);
    socket.close();
  });

  test("chat and resume refuse another user's session", async () => {
    agent.setScript(answer("mine"));
    const owner = await signedIn();
    owner.socket.send({ type: "chat", text: "private", clientMsgId: "p1" });
    const { sessionId } = await owner.socket.next("message");
    await owner.socket.next("run.completed");
    const other = await signedIn();
    other.socket.send({ type: "chat", sessionId, text: "let me in", clientMsgId: "x" });
    expect(await other.socket.next("error")).toMatchObject({ code: "not_found" });
    other.socket.send({ type: "resume", sessionId, afterSeq: 0 });
    expect(await other.socket.next("error")).toMatchObject({ code: "not_found" });
    expect(await other.socket.drain()).toEqual([]);
    expect((await storedMessages(sessionId)).length).toBe(2);
    owner.socket.close();
    other.socket.close();
  });

  test("an answer containing NUL characters completes and is stored, not left streaming", async () => {
    agent.setScript((io) => {
      io.send({ type: "delta", text: "zero\u0000byte" });
      io.send({
        type: "completed",
        output: "zero\u0000byte",
        items: [{ role: "assistant", content: "zero\u0000byte" }],
      });
      io.end();
    });
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "odd", clientMsgId: "n1" });
    const { sessionId } = await socket.next("message");
    expect((await socket.next("run.completed")).sessionId).toBe(sessionId);
    expect((await storedMessages(sessionId)).map((r) => [r.content, r.status])).toEqual([
      ["odd", "complete"],
      ["zero\uFFFDbyte", "complete"],
    ]);
    socket.close();
  });
});

describe("a turn that does not complete", () => {
  test("cancel aborts the upstream request and keeps the partial answer as interrupted", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "tell me a long story", clientMsgId: "c1" });
    const { sessionId } = await socket.next("message");
    const { runId } = await socket.next("run.started");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Once upon" });
    await socket.next("delta");
    socket.send({ type: "cancel", runId });
    expect(await socket.next("run.failed")).toMatchObject({ runId, sessionId, code: "cancelled" });
    await run.aborted;
    const rows = await storedMessages(sessionId);
    expect(rows.map((r) => [r.role, r.content, r.status])).toEqual([
      ["user", "tell me a long story", "complete"],
      ["assistant", "Once upon", "interrupted"],
    ]);
    // The session is free again.
    agent.setScript(answer("Short one."));
    socket.send({ type: "chat", sessionId, text: "shorter please", clientMsgId: "c2" });
    await socket.next("run.completed");
    socket.close();
  });

  test("cancelling an unknown run is an error event, not a disconnect", async () => {
    const { socket } = await signedIn();
    socket.send({ type: "cancel", runId: crypto.randomUUID() });
    expect(await socket.next("error")).toMatchObject({ code: "not_found" });
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  test("agent down: run.failed agent_unavailable, the user message stays", async () => {
    const down = await startTestApi({ agentUrl: () => "http://127.0.0.1:9" });
    try {
      const token = await down.identity.mintIdToken();
      const socket = await openSocket(`${down.wsUrl}?token=${token}`);
      await socket.next("ready");
      socket.send({ type: "chat", text: "anyone there?", clientMsgId: "d1" });
      const { sessionId } = await socket.next("message");
      expect(await socket.next("run.failed")).toMatchObject({
        sessionId,
        code: "agent_unavailable",
      });
      const rows = await down.sql<{ role: string; status: string; error_code: string | null }[]>`
        select role, status, error_code from messages where session_id = ${sessionId} order by seq`;
      expect([...rows]).toEqual([
        { role: "user", status: "complete", error_code: null },
        { role: "assistant", status: "failed", error_code: "agent_unavailable" },
      ]);
      socket.close();
    } finally {
      await down.close();
    }
  });

  test("agent crashing mid-stream: run.failed agent_error, partial text interrupted", async () => {
    agent.setScript((io) => {
      io.send({ type: "delta", text: "Half an ans" });
      setTimeout(() => io.crash(), 50);
    });
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "explain", clientMsgId: "k1" });
    const { sessionId } = await socket.next("message");
    await socket.next("delta");
    expect(await socket.next("run.failed")).toMatchObject({ code: "agent_error" });
    expect((await storedMessages(sessionId)).map((r) => [r.content, r.status])).toEqual([
      ["explain", "complete"],
      ["Half an ans", "interrupted"],
    ]);
    socket.close();
  });

  test("an agent that goes silent: run.failed timeout, the upstream request is aborted", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "hello?", clientMsgId: "s1" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Thinking" });
    expect(await socket.next("run.failed")).toMatchObject({ code: "timeout" });
    await run.aborted;
    expect(
      (await storedMessages(sessionId)).map((r) => [r.content, r.status, r.error_code]),
    ).toEqual([
      ["hello?", "complete", null],
      ["Thinking", "interrupted", "timeout"],
    ]);
    socket.close();
  });

  test("the agent's own failure code reaches the client; nothing streamed means failed", async () => {
    agent.setScript((io) => {
      io.send({ type: "failed", code: "model_rate_limited", message: "The model is busy." });
      io.end();
    });
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "hi", clientMsgId: "f1" });
    const { sessionId } = await socket.next("message");
    expect(await socket.next("run.failed")).toMatchObject({
      code: "model_rate_limited",
      message: "The model is busy.",
    });
    expect((await storedMessages(sessionId)).map((r) => r.status)).toEqual(["complete", "failed"]);
    socket.close();
  });

  test("an answer that cannot be stored ends interrupted, never left streaming", async () => {
    // A real refusal from the database, for this one answer only.
    await api.sql.unsafe(`
      create function refuse_answer() returns trigger language plpgsql as $$
      begin raise exception 'refused for the test'; end $$;
      create trigger refuse_answer before update on messages for each row
        when (new.status = 'complete' and new.content = 'unstorable') execute function refuse_answer();`);
    try {
      agent.setScript(answer("unstorable"));
      const { socket } = await signedIn();
      socket.send({ type: "chat", text: "store this", clientMsgId: "u1" });
      const { sessionId } = await socket.next("message");
      expect(await socket.next("run.failed")).toMatchObject({ code: "internal" });
      expect(
        (await storedMessages(sessionId)).map((r) => [r.content, r.status, r.error_code]),
      ).toEqual([
        ["store this", "complete", null],
        ["unstorable", "interrupted", "internal"],
      ]);
      socket.close();
    } finally {
      await api.sql.unsafe(
        "drop trigger refuse_answer on messages; drop function refuse_answer();",
      );
    }
  });

  test("a stream that ends without completed or failed is an agent_error", async () => {
    agent.setScript((io) => {
      io.send({ type: "delta", text: "and then" });
      io.end();
    });
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "go on", clientMsgId: "e1" });
    expect(await socket.next("run.failed")).toMatchObject({ code: "agent_error" });
    socket.close();
  });
});
