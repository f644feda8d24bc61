/**
 * What a turn keeps when things go wrong at the edges: the text so far saved while it
 * streams (so a crash or another process can read it), a clientMsgId raced from two
 * sockets making one turn, and refusals that name the message they refuse.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type AgentDouble, answer, manual } from "../testing/agent-double.ts";
import type { TestApi } from "../testing/index.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";

setDefaultTimeout(60_000);

let stage: RealtimeStage;
let api: TestApi;
let agent: AgentDouble;

beforeAll(async () => {
  stage = await startRealtimeStage({ realtime: { checkpointIntervalMs: 50 } });
  ({ api, agent } = stage);
});
afterAll(() => stage.close());

const signedIn = (who?: string) => stage.signedIn(who);

type Row = { content: string; status: string; tools: unknown };

async function answerRow(sessionId: string): Promise<Row> {
  const [row] = await api.sql<Row[]>`
    select content, status, tools from messages
    where session_id = ${sessionId} and role = 'assistant' order by seq desc limit 1`;
  const tools = typeof row!.tools === "string" ? JSON.parse(row!.tools) : row!.tools;
  return { ...row!, tools };
}

/** Polls the stored answer until `done` holds (the checkpoint is written in the background). */
async function storedWhen(sessionId: string, done: (row: Row) => boolean): Promise<Row> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const row = await answerRow(sessionId);
    if (done(row) || Date.now() > deadline) return row;
    await Bun.sleep(20);
  }
}

describe("the answer so far is saved while it streams", () => {
  test("text and tool lines reach the row before the run ends; the end replaces them", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "tell me", clientMsgId: "k1" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Once upon " });
    run.send({ type: "tool", name: "get_profile", status: "started", summary: "Reading…" });
    run.send({ type: "delta", text: "a time" });
    const saved = await storedWhen(sessionId, (row) => row.content === "Once upon a time");
    expect(saved).toEqual({
      content: "Once upon a time",
      status: "streaming",
      tools: [{ name: "get_profile", status: "started", summary: "Reading…" }],
    });
    run.send({ type: "tool", name: "get_profile", status: "ok", summary: "Read" });
    answer(" there was a runner.")(run);
    await socket.next("run.completed");
    expect(await answerRow(sessionId)).toEqual({
      content: " there was a runner.",
      status: "complete",
      tools: [{ name: "get_profile", status: "ok", summary: "Read" }],
    });
    socket.close();
  });
});

describe("one clientMsgId, one turn", () => {
  test("the same first frame from two sockets at once: one session, one run, both see it", async () => {
    agent.setScript(answer("Hello!"));
    const email = `${crypto.randomUUID()}@example.com`;
    const a = await signedIn(email);
    const b = await signedIn(email);
    const frame = { type: "chat", text: "hi from two tabs", clientMsgId: "twin" } as const;
    a.socket.send(frame);
    b.socket.send(frame);
    for (const { socket } of [a, b]) {
      const replayOrLive = await socket.next("message");
      expect(replayOrLive.message).toMatchObject({ clientMsgId: "twin", seq: 1 });
    }
    // The run has reached the agent before the requests are counted.
    await agent.nextRun();
    const sessions = await api.sql`
      select s.id from chat_sessions s join users u on u.id = s.user_id where u.email = ${email}`;
    expect(sessions.length).toBe(1);
    const messages = await api.sql`select role from messages where session_id = ${sessions[0]!.id}`;
    expect(messages.length).toBe(2);
    expect(agent.requests.filter((r) => r.body.sessionId === sessions[0]!.id).length).toBe(1);
    a.socket.close();
    b.socket.close();
  });

  test("busy and conflict name the clientMsgId they refuse", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "first", clientMsgId: "one" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    socket.send({ type: "chat", sessionId, text: "second", clientMsgId: "two" });
    expect(await socket.next("error")).toMatchObject({ code: "busy", clientMsgId: "two" });
    answer("done")(run);
    await socket.next("run.completed");
    // The first message's id again, but for another session: refused, naming both.
    agent.setScript(answer("other"));
    socket.send({ type: "chat", text: "elsewhere", clientMsgId: "fresh" });
    const other = await socket.next("message");
    await socket.next("run.completed");
    socket.send({ type: "chat", sessionId: other.sessionId, text: "first", clientMsgId: "one" });
    expect(await socket.next("error")).toMatchObject({
      code: "conflict",
      clientMsgId: "one",
      sessionId,
      seq: 1,
    });
    socket.close();
  });
});

describe("an answer a peer took for orphaned", () => {
  // bun run chaos (seed 2): after a Postgres outage, a peer whose link came back first took
  // this process for gone and interrupted its answers at their last checkpoint, while this
  // process still streamed; what it showed past the checkpoint was lost.
  test("keeps the text its owner showed past the peer's copy, and stays interrupted", async () => {
    agent.setScript(manual);
    const { socket } = await signedIn();
    socket.send({ type: "chat", text: "tell me", clientMsgId: "swept" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Once upon " });
    await storedWhen(sessionId, (row) => row.content === "Once upon ");
    // What a peer's sweep does to the answers of a process it takes for gone.
    await api.sql`update messages set status = 'interrupted', error_code = 'interrupted'
      where session_id = ${sessionId} and role = 'assistant' and status = 'streaming'`;
    answer("a time.")(run);
    expect(await socket.next("delta")).toMatchObject({ text: "Once upon " });
    expect(await socket.next("delta")).toMatchObject({ text: "a time." });
    expect(await socket.next("run.failed")).toMatchObject({ code: "interrupted" });
    expect(await answerRow(sessionId)).toMatchObject({
      content: "Once upon a time.",
      status: "interrupted",
    });
    socket.close();
  });
});
