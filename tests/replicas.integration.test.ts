/**
 * Two api processes on one real Postgres behind nginx (the repo's proxy config), one user
 * with a socket on each: a turn on one streams to the other identically, a Stop pressed on
 * the other stops it, a tool line and the state its call wrote reach the other, a tool call
 * paused on one is decided on the other, one run per
 * session holds across them (a regenerate and a chat deletion
 * too), an account deleted on one closes its sockets on the other, a process killed
 * mid-answer is noticed by its peer within 10 s, and a peer restarting mid-answer interrupts
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { answer, manual } from "@trainer2/api/testing/agent-double";
import { openSocket, type TestSocket } from "@trainer2/api/testing/test-socket";
import { callToolAsAgent } from "@trainer2/api/testing/tool-call";
import { closeCodes } from "@trainer2/shared/failures";
import { type ServerEvent, stateDto } from "@trainer2/shared/wire";
import type { Service } from "@trainer2/testkit";
import { type Replicas, startReplicas } from "@trainer2/testkit/replicas";

setDefaultTimeout(90_000);

let r: Replicas;
let a: Service;
let b: Service;

beforeAll(async () => {
  r = await startReplicas({ count: 2 });
  [a, b] = r.apis as [Service, Service];
});
afterAll(async () => {
  await r?.close();
});

/** Open sockets on a process, from its own metrics. */
async function socketsOn(api: Service): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(/^ws_connections_open\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** A user with a finished first turn (so both sockets follow that session) and two sockets. */
async function userOnBoth() {
  const email = `${crypto.randomUUID()}@replicas.test`;
  r.agent.setScript(answer("Welcome!"));
  const first = await r.connect(email, a);
  first.send({ type: "chat", text: "hello", clientMsgId: "hello" });
  const { sessionId } = await first.next("message");
  await first.next("run.completed");
  const onB = await r.connect(email, b);
  return { email, sessionId, onA: first, onB };
}

const withoutIds = (events: ServerEvent[]) =>
  events.map((event) => JSON.stringify(event, (key, value) => (key === "createdAt" ? 0 : value)));

describe("two api processes, one conversation", () => {
  test("through nginx, sockets land on both processes", async () => {
    const email = `${crypto.randomUUID()}@replicas.test`;
    const before = [await socketsOn(a), await socketsOn(b)];
    const sockets = [await r.connect(email), await r.connect(email)];
    const after = [await socketsOn(a), await socketsOn(b)];
    expect([after[0]! - before[0]!, after[1]! - before[1]!]).toEqual([1, 1]);
    for (const socket of sockets) socket.close();
  });

  test("a chat on A streams to the socket on B identically", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(answer("One", " two", " three"));
    const mark = onA.events.length;
    onA.send({ type: "chat", sessionId, text: "count", clientMsgId: "count" });
    const { runId } = await onA.next("run.completed");
    while ((await onB.next("run.completed")).runId !== runId);
    const seenByA = onA.events.slice(mark);
    // B may first get where the session's last turn stood (a catch-up from A, which it
    // holds already); from this turn's message on, it sees what A sees.
    const start = onB.events.findIndex(
      (e) => e.type === "message" && e.message.clientMsgId === "count",
    );
    const seenByB = onB.events.slice(start);
    expect(seenByB.map((e) => e.type)).toEqual(seenByA.map((e) => e.type));
    expect(withoutIds(seenByB).join("")).toBe(withoutIds(seenByA).join(""));
    expect(seenByA.filter((e) => e.type === "delta").map((e) => e.text)).toEqual([
      "One",
      " two",
      " three",
    ]);
    onA.close();
    onB.close();
  });

  test("cancel from B stops A's run", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "a long story", clientMsgId: "story" });
    const { runId } = await onA.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "delta", text: "Once upon" });
    await onB.next("delta");
    onB.send({ type: "cancel", runId });
    expect(await onB.next("run.failed")).toMatchObject({ runId, code: "cancelled" });
    expect(await onA.next("run.failed")).toMatchObject({ runId, code: "cancelled" });
    await run.aborted;
    onA.close();
    onB.close();
  });

  test("two chat frames for one session on A and B at once: one run, one busy", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    const runsBefore = r.agent.requests.length;
    onA.send({ type: "chat", sessionId, text: "from A", clientMsgId: "race-a" });
    onB.send({ type: "chat", sessionId, text: "from B", clientMsgId: "race-b" });
    // What happened to each socket's own frame (both sockets see the run that started).
    const outcome = async (socket: TestSocket, clientMsgId: string) => {
      for (;;) {
        const event = await socket.next();
        if (event.type === "error" && event.clientMsgId === clientMsgId)
          return `error:${event.code}`;
        if (event.type === "run.started" && event.clientMsgId === clientMsgId)
          return `run:${clientMsgId}`;
      }
    };
    const results = await Promise.all([outcome(onA, "race-a"), outcome(onB, "race-b")]);
    expect(results.filter((result) => result === "error:busy").length).toBe(1);
    expect(results.filter((result) => result.startsWith("run:")).length).toBe(1);
    answer("done")(await r.agent.nextRun());
    expect(r.agent.requests.length - runsBefore).toBe(1);
    onA.close();
    onB.close();
  });
});

describe("a tool's line and the data it changed, across processes", () => {
  test("a tool line of A's run and the state its call wrote reach the socket on B", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "log a run", clientMsgId: "log" });
    const { runId } = await onA.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "tool", name: "log_workout", status: "started", callId: "call-log" });
    expect(await onB.next("tool")).toMatchObject({ runId, name: "log_workout", status: "started" });

    // The agent's call lands on A (the run's process); B's socket gets the fresh state.
    const response = await callToolAsAgent({
      apiUrl: a.url,
      keys: r.stack.keys,
      run: { userId: run.request.userId, sessionId, runId },
      tool: "log_workout",
      callId: "call-log",
      args: { performedOn: "2026-11-30", kind: "run", durationMin: 30, exercises: [], notes: null },
    });
    expect(response.status).toBe(200);
    let state = await onB.next("state");
    while (!state.state.workouts.some((workout) => workout.durationMin === 30))
      state = await onB.next("state");
    expect(state.state.workouts[0]).toMatchObject({ kind: "run", durationMin: 30 });
    run.send({ type: "tool", name: "log_workout", status: "ok", callId: "call-log" });
    expect(await onB.next("tool")).toMatchObject({ runId, status: "ok" });
    answer("Logged.")(run);
    await onB.next("run.completed");
    onA.close();
    onB.close();
  });
});

describe("a tool call waiting for the person, across processes", () => {
  test("paused on A, shown on B, decided on B: the answer goes on there, seen by both", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "delete my last workout", clientMsgId: "del" });
    const { runId, seq } = await onA.next("run.started");
    const paused = await r.agent.nextRun();
    const workoutId = crypto.randomUUID();
    paused.send({
      type: "approval.required",
      state: "the-sdk-run-state",
      calls: [{ callId: "call-del", name: "delete_workout", arguments: { workoutId } }],
    });
    paused.end();
    const asked = await onB.next("approval.requested");
    expect(asked).toMatchObject({
      runId,
      sessionId,
      seq,
      callId: "call-del",
      name: "delete_workout",
    });
    expect(asked.summary).toContain("Delete");
    expect((await onA.next("approval.requested")).callId).toBe("call-del");

    // B did not start the run: it reads the paused run from the database and resumes it.
    r.agent.setScript(manual);
    onB.send({ type: "approval", runId, callId: "call-del", decision: "approve" });
    const resumed = await r.agent.nextRun();
    expect(resumed.request.resume).toEqual({
      state: "the-sdk-run-state",
      decisions: [{ callId: "call-del", decision: "approve" }],
    });
    answer("It is deleted.")(resumed);
    for (const socket of [onA, onB])
      expect(await socket.next("approval.decided")).toMatchObject({
        runId,
        callId: "call-del",
        decision: "approved",
      });
    for (const socket of [onA, onB]) {
      let done = await socket.next("run.completed");
      while (done.seq !== seq) done = await socket.next("run.completed");
    }
    // One decision per call, whichever process hears the second.
    onA.send({ type: "approval", runId, callId: "call-del", decision: "reject" });
    let refused = await onA.next("error");
    while (refused.callId !== "call-del") refused = await onA.next("error");
    expect(refused.code).toBe("conflict");
    onA.close();
    onB.close();
  });
});

describe("a person's chats and account, across processes", () => {
  test("regenerate on B while A writes an answer: busy; then on B, streamed to A", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "plan my week", clientMsgId: "plan" });
    await onA.next("run.started");
    const run = await r.agent.nextRun();
    onB.send({ type: "regenerate", sessionId, clientMsgId: "again-too-soon" });
    let refused = await onB.next("error");
    while (refused.clientMsgId !== "again-too-soon") refused = await onB.next("error");
    expect(refused.code).toBe("busy");
    answer("Monday: rest.")(run);
    await onA.next("run.completed");
    r.agent.setScript(answer("Monday: ", "easy run."));
    onB.send({ type: "regenerate", sessionId, clientMsgId: "again" });
    let started = await onA.next("run.started");
    while (started.clientMsgId !== "again") started = await onA.next("run.started");
    const { runId } = await onA.next("run.completed");
    expect(runId).toBe(started.runId);
    const rows = await r.stack.database.sql<{ content: string }[]>`
      select content from messages where session_id = ${sessionId} and role = 'assistant'
      order by seq desc limit 2`;
    expect(rows.map((row) => row.content)).toEqual(["Monday: easy run.", "Monday: rest."]);
    onA.close();
    onB.close();
  });

  test("deleting a chat on B while A writes an answer in it is refused", async () => {
    const { email, sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "go", clientMsgId: "go" });
    await onA.next("run.started");
    const run = await r.agent.nextRun();
    const remove = async () =>
      fetch(`${b.url}/sessions/${sessionId}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${await r.tokenFor(email)}` },
      });
    const refused = await remove();
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("busy");
    answer("done")(run);
    await onA.next("run.completed");
    expect((await remove()).status).toBe(204);
    onA.close();
    onB.close();
  });

  test("deleting the account through A closes the user's socket on B (4410), and B forgets it", async () => {
    const { email, onA, onB } = await userOnBoth();
    const token = await r.tokenFor(email);
    const stateOn = async (api: Service) =>
      stateDto.parse(
        await (
          await fetch(`${api.url}/state`, { headers: { authorization: `Bearer ${token}` } })
        ).json(),
      );
    const before = await stateOn(b);
    const response = await fetch(`${a.url}/account`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ email }),
    });
    expect(response.status).toBe(204);
    expect((await onB.closed).code).toBe(closeCodes.accountDeleted);
    expect((await onA.closed).code).toBe(closeCodes.accountDeleted);
    // B had this token's user remembered: the same token now starts a new, empty account.
    const after = await stateOn(b);
    expect(after.user.id).not.toBe(before.user.id);
    expect(after.sessions).toEqual([]);
  });
});

describe("when a process goes", () => {
  test("SIGKILL the owner: the other process's socket is told within 10 s, the text is kept", async () => {
    const { sessionId, onA, onB } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "tell me", clientMsgId: "killed" });
    const { runId } = await onA.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "delta", text: "Shown before the crash." });
    await onB.next("delta");
    await until(async () => {
      const [row] = await r.stack.database.sql`select 1 from messages
        where run_id = ${runId} and role = 'assistant' and content = 'Shown before the crash.'`;
      return row;
    });
    await a.kill("SIGKILL");
    const told = await withDeadline(onB.next("run.failed"), 10_000, "run.failed on B");
    expect(told).toMatchObject({ runId, code: "interrupted" });
    const [row] = await r.stack.database.sql`select content, status from messages
      where run_id = ${runId} and role = 'assistant'`;
    expect(row).toEqual({ content: "Shown before the crash.", status: "interrupted" });
    onB.close();
    await a.restart();
  });

  test("a peer restarting mid-answer interrupts nothing", async () => {
    const { sessionId, onA } = await userOnBoth();
    r.agent.setScript(manual);
    onA.send({ type: "chat", sessionId, text: "keep going", clientMsgId: "survives" });
    const { runId } = await onA.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "delta", text: "Still " });
    await b.kill("SIGKILL");
    await b.restart();
    // The restarted peer swept at start (its /health answers after that).
    answer("here.")(run);
    expect(await onA.next("run.completed")).toMatchObject({ runId });
    const [row] = await r.stack.database.sql`select content, status from messages
      where run_id = ${runId} and role = 'assistant'`;
    expect(row).toEqual({ content: "here.", status: "complete" });
    onA.close();
  });
});

async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    Bun.sleep(ms).then(() => {
      throw new Error(`no ${what} within ${ms} ms`);
    }),
  ]);
}

describe("what the proxy gives away", () => {
  test("nginx's access log (the repo's config) names /realtime but never the ?token=", async () => {
    const email = `${crypto.randomUUID()}@replicas.test`;
    const token = await r.tokenFor(email);
    const socket = await openSocket(`${r.nginx.wsUrl}?token=${token}`);
    await socket.next("ready");
    socket.close();
    await socket.closed;
    // nginx writes a WebSocket's line when the proxied connection ends.
    const log = () =>
      existsSync(r.nginx.accessLog) ? readFileSync(r.nginx.accessLog, "utf8") : "";
    for (let i = 0; i < 500 && !log().includes("GET /realtime "); i++) await Bun.sleep(20);
    expect(log()).toContain("GET /realtime ");
    expect(log()).not.toContain(token);
    expect(log()).not.toContain(token.split(".")[2]!);
    expect(log()).not.toContain("token=");
  });

  test("/metrics is not reachable through the proxy (only on each process's own address)", async () => {
    for (const path of ["/metrics", "/metrics?x=1", "//metrics", "/%6detrics"]) {
      const response = await fetch(`${r.nginx.url}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
      const body = await response.text();
      expect(body).not.toContain("ws_connections_open");
    }
    const response = await fetch(`${r.nginx.url}/metrics`);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "Not found." } });
    expect(await (await fetch(`${a.url}/metrics`)).text()).toContain("ws_connections_open");
  });
});
