import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { answer, manual } from "../testing/agent-double.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import type { TestSocket } from "../testing/test-socket.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;

beforeAll(async () => {
  stage = await startRealtimeStage();
});
afterAll(() => stage.close());

/** A signed-in socket with one answered turn: "hello" → "first answer". */
async function answeredChat() {
  const signed = await stage.signedIn();
  stage.agent.setScript(answer("first answer"));
  signed.socket.send({ type: "chat", text: "hello", clientMsgId: "hello" });
  const { sessionId } = await signed.socket.next("message");
  await signed.socket.next("run.completed");
  return { ...signed, sessionId };
}

const stored = (sessionId: string) =>
  stage.api.sql<{ seq: number; role: string; content: string; status: string }[]>`
    select seq, role, content, status from messages where session_id = ${sessionId} order by seq`;

async function errorFor(socket: TestSocket, clientMsgId: string) {
  for (;;) {
    const event = await socket.next("error");
    if (event.clientMsgId === clientMsgId) return event;
  }
}

describe("regenerate the last answer", () => {
  test("a new run for the last question: its answer follows the old one, which is kept", async () => {
    const { socket, sessionId } = await answeredChat();
    stage.agent.setScript(answer("second ", "answer"));
    socket.send({ type: "regenerate", sessionId, clientMsgId: "again" });
    const started = await socket.next("run.started");
    expect(started).toMatchObject({ sessionId, clientMsgId: "again", seq: 3 });
    const completed = await socket.next("run.completed");
    expect(completed).toMatchObject({ runId: started.runId, seq: 3 });
    // The agent answered the same question, with the context before it (nothing here).
    const request = stage.agent.requests.at(-1)!.body;
    expect(request).toMatchObject({ input: "hello", history: [], runId: started.runId });
    expect((await stored(sessionId)).map((m) => [m.seq, m.role, m.content, m.status])).toEqual([
      [1, "user", "hello", "complete"],
      [2, "assistant", "first answer", "complete"],
      [3, "assistant", "second answer", "complete"],
    ]);

    // The next turn's context holds the answer that replaced the first, not the first.
    stage.agent.setScript(answer("third"));
    socket.send({ type: "chat", sessionId, text: "and then?", clientMsgId: "then" });
    await socket.next("run.completed");
    expect(stage.agent.requests.at(-1)!.body.history).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "second answer" },
    ]);
    socket.close();
  });

  test("the same frame sent twice starts one run; the second gets its replay", async () => {
    const { socket, sessionId } = await answeredChat();
    stage.agent.setScript(answer("again"));
    const runs = stage.agent.requests.length;
    socket.send({ type: "regenerate", sessionId, clientMsgId: "twice" });
    await socket.next("run.completed");
    socket.send({ type: "regenerate", sessionId, clientMsgId: "twice" });
    const replayed = await socket.next("message");
    expect(replayed.message).toMatchObject({ seq: 3, content: "again", status: "complete" });
    expect(stage.agent.requests.length - runs).toBe(1);
    socket.close();
  });

  test("busy while an answer is being written in the session", async () => {
    const { socket, sessionId } = await answeredChat();
    stage.agent.setScript(manual);
    socket.send({ type: "chat", sessionId, text: "a long one", clientMsgId: "long" });
    await socket.next("run.started");
    const run = await stage.agent.nextRun();
    socket.send({ type: "regenerate", sessionId, clientMsgId: "too-soon" });
    expect(await errorFor(socket, "too-soon")).toMatchObject({ code: "busy", sessionId });
    answer("done")(run);
    await socket.next("run.completed");
    expect((await stored(sessionId)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    socket.close();
  });

  test("another's session is not found; a chat without an answer has nothing to regenerate", async () => {
    const { sessionId } = await answeredChat();
    const stranger = await stage.signedIn();
    stranger.socket.send({ type: "regenerate", sessionId, clientMsgId: "not-mine" });
    expect(await errorFor(stranger.socket, "not-mine")).toMatchObject({ code: "not_found" });
    const [empty] = await stage.api.sql<{ id: string }[]>`
      insert into chat_sessions (user_id, title) values (${stranger.ready.user.id}, 'empty')
      returning id`;
    stranger.socket.send({ type: "regenerate", sessionId: empty!.id, clientMsgId: "empty" });
    expect(await errorFor(stranger.socket, "empty")).toMatchObject({ code: "bad_request" });
    expect((await stored(sessionId)).length).toBe(2);
    stranger.socket.close();
  });
});

describe("regenerate within the person's budgets", () => {
  let budgeted: RealtimeStage;
  beforeAll(async () => {
    budgeted = await startRealtimeStage({
      budgets: {
        defaults: { dailyTokens: 0, turnsPerMinute: 2, concurrentRuns: 0 },
        maxOutputTokens: 300,
        timeZone: "UTC",
        prices: new Map(),
      },
    });
  });
  afterAll(() => budgeted?.close());

  test("a regenerate is a turn: capped, counted, and refused before any model call", async () => {
    const { socket } = await budgeted.signedIn();
    budgeted.agent.setScript(answer("first answer"));
    socket.send({ type: "chat", text: "hello", clientMsgId: "hello" });
    const { sessionId } = await socket.next("message");
    await socket.next("run.completed");

    budgeted.agent.setScript(answer("second answer"));
    socket.send({ type: "regenerate", sessionId, clientMsgId: "again" });
    await socket.next("run.completed");
    // The answer cap reaches the agent with a regenerate as with a chat.
    expect(budgeted.agent.requests.at(-1)!.body).toMatchObject({ maxOutputTokens: 300 });

    const runs = budgeted.agent.requests.length;
    socket.send({ type: "regenerate", sessionId, clientMsgId: "third" });
    expect(await errorFor(socket, "third")).toMatchObject({
      code: "budget_exceeded",
      limit: "turns_per_minute",
    });
    expect(budgeted.agent.requests.length).toBe(runs);
    const rows = await budgeted.api.sql<{ seq: number }[]>`
      select seq from messages where session_id = ${sessionId} order by seq`;
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3]);
    const [held] = await budgeted.api.sql<{ n: number }[]>`
      select count(*)::int as n from budget_reservations`;
    expect(held!.n).toBe(0);
    socket.close();
  });
});
