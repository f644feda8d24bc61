/**
 * Nothing stuck, whatever step of a run's start fails. For each entrance (a chat turn, a
 * regenerate, a resume after a decision) the database is made to fail at its 1st statement,
 * then its 2nd, and so on until the entrance gets through without reaching the armed one; after
 * each: no answer is left `streaming`, no reservation or claim is left, the socket got an end
 * (an error for a run never stored, else the run's end event), and the session takes a new
 * turn. The agent answering 500 and the budget refusing get the same checks.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { setBudgetOverrides } from "@trainer2/db/queries/budgets";
import type { ServerEvent } from "@trainer2/shared/wire";
import { decodeJwt } from "jose";
import { budgetsOff } from "../budgets/settings.ts";
import { type AgentScript, answer } from "../testing/agent-double.ts";
import { type FaultySql, faultySql } from "../testing/faulty-sql.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import type { TestSocket } from "../testing/test-socket.ts";
import { defaultRealtimeOptions } from "./context.ts";

setDefaultTimeout(120_000);

let stage: RealtimeStage;
let faults: FaultySql;
let agentFailing: ReturnType<typeof Bun.serve>;

/** Answers, pauses on "ask …" for the approval of one call, and goes on once resumed. */
const script: AgentScript = (io) => {
  if (io.request.resume) return answer("resumed")(io);
  if (!io.request.input.startsWith("ask")) return answer("fine")(io);
  io.send({ type: "delta", text: "Let me check. " });
  io.send({
    type: "approval.required",
    state: `state of ${io.request.runId}`,
    calls: [{ callId: "call-1", name: "delete_workout", arguments: { workoutId: "w" } }],
    usage: { inputTokens: 10, outputTokens: 5 },
  });
  io.end();
};

beforeAll(async () => {
  stage = await startRealtimeStage({
    wrapSql: (sql) => {
      faults = faultySql(sql);
      return faults.sql;
    },
    // No background statements (heartbeat, sweeps, checkpoints): the count is the entrance's.
    cluster: { heartbeatMs: 600_000, staleMs: 1_800_000 },
    realtime: { approvalSweepMs: 0, checkpointIntervalMs: 0, endWriteRetryMs: 5000 },
    budgets: {
      ...budgetsOff,
      defaults: { dailyTokens: 10_000_000, turnsPerMinute: 10_000, concurrentRuns: 10 },
    },
  });
  stage.agent.setScript(script);
  agentFailing = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => Response.json({ error: { code: "internal", message: "no" } }, { status: 500 }),
  });
});
afterAll(async () => {
  await agentFailing.stop(true);
  await stage.close();
});

type Outcome = Extract<ServerEvent, { type: "error" | "run.completed" | "run.failed" }>;

/** The frame's answer: an error for a run not stored, else its run's end event. */
async function outcome(socket: TestSocket): Promise<Outcome> {
  for (;;) {
    const event = await socket.next();
    if (event.type === "error" || event.type === "run.completed" || event.type === "run.failed")
      return event;
  }
}

/** No answer streaming, nothing reserved or claimed, and the session takes a new turn. */
async function nothingStuck(socket: TestSocket, userId: string, sessionId: string) {
  const { sql } = stage.api;
  expect(
    await sql`select 1 from messages where user_id = ${userId} and status = 'streaming'`,
  ).toHaveLength(0);
  expect(await sql`select 1 from budget_reservations where user_id = ${userId}`).toHaveLength(0);
  expect(stage.api.app.hub.sizes()).toMatchObject({ pending: 0, runs: 0 });
  socket.send({ type: "chat", sessionId, text: "still there?", clientMsgId: crypto.randomUUID() });
  expect((await outcome(socket)).type).toBe("run.completed");
}

/** A signed-in socket with one answered turn; its user id and session. */
async function answeredChat() {
  const signed = await stage.signedIn();
  signed.socket.send({ type: "chat", text: "hello", clientMsgId: crypto.randomUUID() });
  const { sessionId } = await signed.socket.next("message");
  await signed.socket.next("run.completed");
  return { socket: signed.socket, userId: signed.ready.user.id, sessionId };
}

/** A chat whose second turn waits for the approval of one call: its card. */
async function paused() {
  const chat = await answeredChat();
  chat.socket.send({
    type: "chat",
    sessionId: chat.sessionId,
    text: "ask first",
    clientMsgId: crypto.randomUUID(),
  });
  const asked = await chat.socket.next("approval.requested");
  return { ...chat, asked };
}

/**
 * Fails the entrance at its 1st, 2nd, … statement until it gets through without reaching the
 * armed one; `enter` starts it and resolves with how it ended. Returns how many failed.
 */
async function atEveryStatement(
  setUp: () => Promise<{ socket: TestSocket; userId: string; sessionId: string }>,
  enter: (chat: { socket: TestSocket; sessionId: string }) => Promise<Outcome>,
): Promise<Outcome[]> {
  const ended: Outcome[] = [];
  for (let n = 1; n <= 40; n++) {
    const chat = await setUp();
    faults.failOn(n);
    const end = await enter(chat);
    const fired = faults.disarm();
    await nothingStuck(chat.socket, chat.userId, chat.sessionId);
    chat.socket.close();
    if (!fired) {
      expect(end.type).toBe("run.completed");
      return ended;
    }
    ended.push(end);
  }
  throw new Error("the entrance never got through");
}

describe("a failure at each statement of a run's start leaves nothing stuck", () => {
  test("a chat turn", async () => {
    const ended = await atEveryStatement(answeredChat, async ({ socket, sessionId }) => {
      socket.send({ type: "chat", sessionId, text: "next", clientMsgId: crypto.randomUUID() });
      return outcome(socket);
    });
    // Each statement before the turn is stored answers with an error; none is `internal`.
    expect(ended.length).toBeGreaterThanOrEqual(3);
    for (const end of ended) if (end.type === "error") expect(end.code).toBe("unavailable");
  });

  test("a regenerate", async () => {
    const ended = await atEveryStatement(answeredChat, async ({ socket, sessionId }) => {
      socket.send({ type: "regenerate", sessionId, clientMsgId: crypto.randomUUID() });
      return outcome(socket);
    });
    expect(ended.length).toBeGreaterThanOrEqual(3);
    // A failure once the new placeholder is stored ends that run, stored and told.
    expect(ended.some((end) => end.type === "run.failed")).toBe(true);
  });

  test("a resume after a decision", async () => {
    let current: Awaited<ReturnType<typeof paused>> | undefined;
    const ended = await atEveryStatement(
      async () => {
        current = await paused();
        return current;
      },
      async ({ socket }) => {
        const { asked } = current!;
        const decide = () =>
          socket.send({
            type: "approval",
            runId: asked.runId,
            callId: "call-1",
            decision: "approve",
          });
        decide();
        const end = await outcome(socket);
        // The decision itself failed (nothing changed): decided again, the run goes on.
        if (end.type === "error") {
          expect(end.code).toBe("unavailable");
          decide();
          expect((await outcome(socket)).type).toBe("run.completed");
        }
        return end;
      },
    );
    expect(ended.length).toBeGreaterThanOrEqual(3);
    // Failures once the answer was claimed back: the run ended, its text kept.
    const failed = ended.filter((end) => end.type === "run.failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const end of failed) if (end.type === "run.failed") expect(end.code).toBe("unavailable");
  });
});

describe("a run's token", () => {
  test("lives no longer than a run may take, and is its own each time", async () => {
    const chat = await answeredChat();
    const [first, second] = stage.agent.requests.slice(-2).map((r) => decodeJwt(r.token));
    expect(first!.exp! - first!.iat!).toBe(defaultRealtimeOptions.runTimeoutMs / 1000);
    expect(first!.jti).toBeString();
    expect(first!.jti).not.toBe(second!.jti);
    chat.socket.close();
  });
});

describe("the agent answering 500, the budget refusing", () => {
  test("an agent that refuses the run: the answer ends failed, the session goes on", async () => {
    const chat = await answeredChat();
    const charged = async () => {
      const [day] = await stage.api.sql<{ tokens: number }[]>`
        select coalesce(sum(input_tokens + output_tokens), 0)::int as tokens from budget_days
        where user_id = ${chat.userId}`;
      return day!.tokens;
    };
    const before = await charged();
    stage.api.setAgentUrl(`http://127.0.0.1:${agentFailing.port}`);
    try {
      chat.socket.send({
        type: "chat",
        sessionId: chat.sessionId,
        text: "x",
        clientMsgId: crypto.randomUUID(),
      });
      expect(await outcome(chat.socket)).toMatchObject({ type: "run.failed", code: "agent_error" });
    } finally {
      stage.api.setAgentUrl(stage.agent.url);
    }
    // It never reached the model: charged nothing.
    expect(await charged()).toBe(before);
    await nothingStuck(chat.socket, chat.userId, chat.sessionId);
  });

  test("a budget used up: a turn is refused, a resumed run ends with budget_exceeded", async () => {
    const { asked, ...chat } = await paused();
    await setBudgetOverrides(stage.api.sql, chat.userId, { dailyTokens: 1 });
    chat.socket.send({ type: "chat", text: "new chat", clientMsgId: crypto.randomUUID() });
    expect(await outcome(chat.socket)).toMatchObject({ type: "error", code: "budget_exceeded" });
    chat.socket.send({
      type: "approval",
      runId: asked.runId,
      callId: "call-1",
      decision: "approve",
    });
    expect(await outcome(chat.socket)).toMatchObject({
      type: "run.failed",
      runId: asked.runId,
      code: "budget_exceeded",
    });
    await setBudgetOverrides(stage.api.sql, chat.userId, { dailyTokens: null });
    await nothingStuck(chat.socket, chat.userId, chat.sessionId);
  });
});
