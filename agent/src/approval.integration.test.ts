/**
 * Human approval end to end (issue 17), in both OpenAI APIs: the real api, the real agent and
 * the SDK against the offline model, which calls delete_workout for "delete my last workout".
 * The run pauses durably (the answer `awaiting_approval`, the run state in Postgres); the
 * person's decision resumes it into the same answer. Approve → the tool runs once; reject →
 * the model is told and says so, nothing is written; a second, forged or foreign decision is
 * refused, and a decision reaches the run after the socket that asked is gone.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { openSocket, type TestSocket } from "@trainer2/api/testing/test-socket";
import { callToolAsAgent, storeStreamingRun } from "@trainer2/api/testing/tool-call";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import type { ServerEvent } from "@trainer2/shared/wire";
import type { TestAgent } from "./testing/index.ts";
import { type OpenAiApi, startAgentPerApi } from "./testing/run-helpers.ts";

setDefaultTimeout(60_000);

let api: TestApi;
let agents: Record<OpenAiApi, TestAgent>;

beforeAll(async () => {
  // Expiry only where a test asks for it: one process's sweep cannot race another's here.
  api = await startTestApi({ realtime: { approvalSweepMs: 0 } });
  agents = await startAgentPerApi(api, { offlineDelayMs: 0 });
});

afterAll(async () => {
  for (const agent of Object.values(agents ?? {})) await agent.close();
  await api?.close();
});

/** A dev-login id token: every api process of these tests shares the keys, so all accept it. */
async function tokenFor(email: string): Promise<string> {
  const key = await importPrivateKey(api.keys.devLoginPrivateKey);
  return (await signDevIdToken({ email, name: "Casey" }, key)).idToken;
}

async function signIn(on: TestApi = api) {
  const email = `${crypto.randomUUID()}@example.com`;
  const token = await tokenFor(email);
  const socket = await openSocket(`${on.wsUrl}?token=${token}`);
  const ready = await socket.next("ready");
  return { socket, userId: ready.user.id, email };
}

/** Events up to the run's end (run.completed / run.failed). */
async function untilEnd(socket: TestSocket): Promise<ServerEvent[]> {
  const events: ServerEvent[] = [];
  for (;;) {
    const event = await socket.next();
    events.push(event);
    if (event.type === "run.completed" || event.type === "run.failed") return events;
  }
}

const answerOf = (events: ServerEvent[]) =>
  events.map((event) => (event.type === "delta" ? event.text : "")).join("");

async function logRun(socket: TestSocket, sessionId?: string) {
  socket.send({
    type: "chat",
    sessionId,
    text: "log a 30 minute run",
    clientMsgId: crypto.randomUUID(),
  });
  const events = await untilEnd(socket);
  const started = events.find((event) => event.type === "run.started");
  if (started?.type !== "run.started") throw new Error("no run.started");
  return started.sessionId;
}

describe.each(["chat_completions", "responses"] as const)(
  "approval of a tool call (%s)",
  (mode) => {
    test("approve: the workout is deleted once and the answer goes on in the same message", async () => {
      api.setAgentUrl(agents[mode]!.url);
      const { socket, userId } = await signIn();
      try {
        const sessionId = await logRun(socket);
        const [workout] = await api.sql<{ id: string; performed_on: string }[]>`
        select id, performed_on::text from workouts where user_id = ${userId}`;
        socket.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "d1" });
        const asked = await socket.next("approval.requested");
        expect(asked.name).toBe("delete_workout");
        expect(asked.arguments).toEqual({ workoutId: workout!.id });
        expect(asked.summary).toBe(`Delete your 30 min run of ${workout!.performed_on}.`);
        const [paused] = await api.sql<{ status: string; run_state: string | null }[]>`
        select status, run_state from messages where run_id = ${asked.runId} and role = 'assistant'`;
        expect(paused!.status).toBe("awaiting_approval");
        expect(paused!.run_state).not.toContain(".ey"); // no run token (a JWT) in the stored state
        // The session is held: a new message is busy until the person decides.
        socket.send({ type: "chat", sessionId, text: "hello", clientMsgId: "busy1" });
        expect((await socket.next("error")).code).toBe("busy");

        socket.send({
          type: "approval",
          runId: asked.runId,
          callId: asked.callId,
          decision: "approve",
        });
        const resumed = await untilEnd(socket);
        const started = resumed.find((event) => event.type === "run.started");
        expect(started?.type === "run.started" && started.seq).toBe(asked.seq);
        expect(resumed.at(-1)?.type).toBe("run.completed");
        expect(answerOf(resumed)).toContain("Done: I deleted your 30 min run");
        const lines = resumed.filter((event) => event.type === "tool");
        expect(lines.map((event) => event.type === "tool" && [event.name, event.status])).toEqual([
          ["delete_workout", "started"],
          ["delete_workout", "ok"],
        ]);
        expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(0);
        const calls = await api.sql`
        select status from tool_calls where run_id = ${asked.runId} and tool = 'delete_workout'`;
        expect([...calls]).toEqual([{ status: "ok" }]);
        const [audit] = await api.sql<{ status: string; decided_by: string; decided_at: Date }[]>`
        select status, decided_by, decided_at from tool_approvals where run_id = ${asked.runId}`;
        expect([audit!.status, audit!.decided_by, audit!.decided_at instanceof Date]).toEqual([
          "approved",
          userId,
          true,
        ]);
        const [answer] = await api.sql<{ status: string; content: string }[]>`
        select status, content from messages where run_id = ${asked.runId} and role = 'assistant'`;
        expect(answer!.status).toBe("complete");
        expect(answer!.content).toBe(answerOf(resumed));

        // A replayed decision is a conflict; nothing runs again.
        socket.send({
          type: "approval",
          runId: asked.runId,
          callId: asked.callId,
          decision: "approve",
        });
        const replayed = await socket.next("error");
        expect(replayed.code).toBe("conflict");
        // It names the call, so the page drops that frame from what it re-sends.
        expect([replayed.runId, replayed.callId]).toEqual([asked.runId, asked.callId]);
      } finally {
        socket.close();
      }
    });

    test("reject: the model is told and says so, nothing is deleted; others cannot decide", async () => {
      api.setAgentUrl(agents[mode]!.url);
      const { socket, userId } = await signIn();
      const stranger = await signIn();
      try {
        const sessionId = await logRun(socket);
        socket.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "d2" });
        const asked = await socket.next("approval.requested");
        // Another user's decision on this call, or one for a call that does not exist: refused.
        stranger.socket.send({
          type: "approval",
          runId: asked.runId,
          callId: asked.callId,
          decision: "approve",
        });
        expect((await stranger.socket.next("error")).code).toBe("not_found");
        socket.send({
          type: "approval",
          runId: asked.runId,
          callId: "forged",
          decision: "approve",
        });
        const forged = await socket.next("error");
        expect(forged.code).toBe("not_found");
        expect(forged.callId).toBe("forged");

        // The page is closed; the decision comes from a new socket (a reload).
        socket.close();
        const reload = await reopen(userId, sessionId, asked.runId);
        reload.send({
          type: "approval",
          runId: asked.runId,
          callId: asked.callId,
          decision: "reject",
          reason: "I want to keep it",
        });
        const resumed = await untilEnd(reload);
        expect(resumed.at(-1)?.type).toBe("run.completed");
        expect(answerOf(resumed)).toBe(
          "Okay, I did not do it: The person rejected this call, so it was not made. Their reason: I want to keep it",
        );
        expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(1);
        expect(
          await api.sql`select 1 from tool_calls where run_id = ${asked.runId} and tool = 'delete_workout'`,
        ).toHaveLength(0);
        const [audit] = await api.sql<{ status: string; reason: string }[]>`
        select status, reason from tool_approvals where run_id = ${asked.runId}`;
        expect({ ...audit }).toEqual({ status: "rejected", reason: "I want to keep it" });
        reload.close();
      } finally {
        socket.close();
        stranger.socket.close();
      }
    });
  },
);

/** A new socket of the same user (a reload): resume shows the pending card again. */
async function reopen(
  userId: string,
  sessionId: string,
  runId: string,
  on: TestApi = api,
): Promise<TestSocket> {
  const [user] = await api.sql<{ email: string }[]>`select email from users where id = ${userId}`;
  const token = await tokenFor(user!.email);
  const socket = await openSocket(`${on.wsUrl}?token=${token}`);
  await socket.next("ready");
  socket.send({ type: "resume", sessionId, afterSeq: 0 });
  const card = await socket.next("approval.requested");
  expect(card.runId).toBe(runId);
  return socket;
}

/** Another api process on the same database and keys (the agent calls tools on `api`). */
async function peer(realtime: { approvalTimeoutMs?: number; approvalSweepMs?: number } = {}) {
  const other = await startTestApi({
    database: api.db,
    keys: api.keys,
    realtime: { approvalSweepMs: 0, ...realtime },
  });
  other.setAgentUrl(agents.responses.url);
  return other;
}

describe("approval across processes, restarts and time", () => {
  test("asked on one api process, every process restarted, decided on a new one", async () => {
    api.setAgentUrl(agents.responses.url);
    const first = await peer();
    const { socket, userId } = await signIn(first);
    let asked: Extract<ServerEvent, { type: "approval.requested" }>;
    let sessionId: string;
    try {
      sessionId = await logRun(socket);
      socket.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "x1" });
      asked = await socket.next("approval.requested");
    } finally {
      socket.close();
      await first.close();
    }
    // The process that asked is gone; a new one serves the reload (the pending card is in /state).
    const second = await peer();
    try {
      const [user] = await api.sql<
        { email: string }[]
      >`select email from users where id = ${userId}`;
      const token = await tokenFor(user!.email);
      const state = await fetch(`${second.url}/state?sessionId=${sessionId}`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((response) => response.json());
      expect(state.session.approvals.map((a: { callId: string }) => a.callId)).toEqual([
        asked.callId,
      ]);
      const reload = await reopen(userId, sessionId, asked.runId, second);
      reload.send({
        type: "approval",
        runId: asked.runId,
        callId: asked.callId,
        decision: "approve",
      });
      const resumed = await untilEnd(reload);
      expect(resumed.at(-1)?.type).toBe("run.completed");
      expect(answerOf(resumed)).toContain("Done: I deleted your 30 min run");
      expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(0);
      reload.close();
    } finally {
      await second.close();
    }
  });

  test("a tool that needs approval is refused without one, whatever the agent sends", async () => {
    const { socket, userId } = await signIn();
    try {
      const sessionId = await logRun(socket);
      const [workout] = await api.sql<{ id: string }[]>`
        select id from workouts where user_id = ${userId}`;
      // A forged call in a run that is being written (a token of a finished run acts no more).
      const run = { userId, sessionId, runId: crypto.randomUUID() };
      await storeStreamingRun(api.sql, run);
      const response = await callToolAsAgent({
        apiUrl: api.url,
        keys: api.keys,
        run,
        tool: "delete_workout",
        callId: "forged-call",
        args: { workoutId: workout!.id },
      });
      expect(response.status).toBe(403);
      expect((await response.json()).error.code).toBe("approval_required");
      expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(1);
    } finally {
      socket.close();
    }
  });

  test("a decision after the time to decide: rejected as expired, and the model is told", async () => {
    const late = await peer({ approvalTimeoutMs: 0 });
    const { socket, userId } = await signIn(late);
    try {
      const sessionId = await logRun(socket);
      socket.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "e1" });
      const asked = await socket.next("approval.requested");
      socket.send({
        type: "approval",
        runId: asked.runId,
        callId: asked.callId,
        decision: "approve",
      });
      const decided = await socket.next("approval.decided");
      expect(decided.decision).toBe("expired");
      const resumed = await untilEnd(socket);
      expect(answerOf(resumed)).toBe(
        "Okay, I did not do it: The person did not decide within 1 minute. So this call was not made.",
      );
      expect(socket.events.some((e) => e.type === "error" && e.code === "approval_expired")).toBe(
        true,
      );
      expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(1);
    } finally {
      socket.close();
      await late.close();
    }
  });

  test("each api process rejects approvals past their time by itself", async () => {
    const sweeper = await peer({ approvalTimeoutMs: 0, approvalSweepMs: 20 });
    const { socket, userId } = await signIn(sweeper);
    try {
      const sessionId = await logRun(socket);
      socket.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "s1" });
      await socket.next("approval.requested");
      expect((await socket.next("approval.decided")).decision).toBe("expired");
      const resumed = await untilEnd(socket);
      expect(answerOf(resumed)).toContain("Okay, I did not do it");
      expect(await api.sql`select 1 from workouts where user_id = ${userId}`).toHaveLength(1);
    } finally {
      socket.close();
      await sweeper.close();
    }
  });
});

describe("a rule that reads the person's data (update_profile)", () => {
  test("a first goal is saved at once; replacing it waits for the person, then is saved", async () => {
    api.setAgentUrl(agents.responses.url);
    const { socket, userId } = await signIn();
    const goals = async () =>
      (
        await api.sql<{ goals: string | null }[]>`
        select goals from profiles where user_id = ${userId}`
      )[0]?.goals;
    try {
      socket.send({ type: "chat", text: "my goal is to run a 5k", clientMsgId: "g1" });
      const first = await untilEnd(socket);
      expect(first.some((event) => event.type === "approval.requested")).toBe(false);
      expect(first.at(-1)?.type).toBe("run.completed");
      expect(await goals()).toBe("to run a 5k");
      const started = first.find((event) => event.type === "run.started");
      const sessionId = started?.type === "run.started" ? started.sessionId : undefined;

      socket.send({ type: "chat", sessionId, text: "my goal is to run a 10k", clientMsgId: "g2" });
      const asked = await socket.next("approval.requested");
      expect([asked.name, asked.summary]).toEqual([
        "update_profile",
        'Change your goals from "to run a 5k" to "to run a 10k".',
      ]);
      expect(await goals()).toBe("to run a 5k");
      socket.send({
        type: "approval",
        runId: asked.runId,
        callId: asked.callId,
        decision: "approve",
      });
      const resumed = await untilEnd(socket);
      expect(resumed.at(-1)?.type).toBe("run.completed");
      expect(await goals()).toBe("to run a 10k");
    } finally {
      socket.close();
    }
  });
});
