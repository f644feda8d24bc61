/**
 * Budgets across two api processes on one real Postgres (behind nginx, a scripted agent):
 * a 2,000-token day refuses the turn that would exceed it on either process, with the reset
 * time; 20 turns at once against 5 a minute start exactly 5; a process killed mid-turn holds
 * its reservation no longer than its life; usage settles to what the agent reported, a
 * cancelled run's included, with its estimated cost; the refusals are metrics.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { answerUsing, manual } from "@trainer2/api/testing/agent-double";
import type { TestSocket } from "@trainer2/api/testing/test-socket";
import { type BudgetOverrides, setBudgetOverrides } from "@trainer2/db/queries/budgets";
import type { Service } from "@trainer2/testkit";
import { type Replicas, startReplicas } from "@trainer2/testkit/replicas";

setDefaultTimeout(90_000);

let r: Replicas;
let a: Service;
let b: Service;

beforeAll(async () => {
  r = await startReplicas({
    count: 2,
    env: {
      // On for everyone (generously); each test sets its user's own limit.
      BUDGET_DAILY_TOKENS: "1000000",
      BUDGET_MAX_OUTPUT_TOKENS: "500",
      MODEL_PRICES: "gpt-test=1000/2000",
    },
  });
  [a, b] = r.apis as [Service, Service];
});
afterAll(async () => {
  await r?.close();
});

const sql = () => r.stack.database.sql;

/** A signed-in user (their first socket made them) with their own limits. */
async function userWith(limits: Partial<BudgetOverrides>) {
  const email = `${crypto.randomUUID()}@budgets.test`;
  (await r.connect(email, a)).close();
  const [user] = await sql()<{ id: string }[]>`select id from users where email = ${email}`;
  await setBudgetOverrides(sql(), user!.id, limits);
  return { email, userId: user!.id };
}

const usage = { inputTokens: 500, outputTokens: 300, model: "gpt-test" };

function nextUtcMidnight(): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
  ).toISOString();
}

async function today(userId: string) {
  const rows = await sql()<{ input: number; output: number; cost: number; turns: number }[]>`
    select input_tokens::int as input, output_tokens::int as output, cost_usd as cost, turns
    from budget_days where user_id = ${userId}`;
  return rows[0];
}

const reservationsOf = (userId: string) =>
  sql()`select run_id from budget_reservations where user_id = ${userId}`;

/** What happened to the chat frame `clientMsgId`: its run started, or an error refused it. */
async function outcomeOf(socket: TestSocket, clientMsgId: string) {
  for (;;) {
    const event = await socket.next();
    if (event.type === "run.started" && event.clientMsgId === clientMsgId) return event;
    if (event.type === "error" && event.clientMsgId === clientMsgId) return event;
  }
}

async function metric(api: Service, line: RegExp): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? 0);
}

describe("budgets held across two api processes", () => {
  test("a 2,000-token day: the turn that would exceed it is refused on either process, with the reset", async () => {
    const { email, userId } = await userWith({ dailyTokens: 2000 });
    r.agent.setScript(answerUsing(usage, "Sure."));
    const onA = await r.connect(email, a);
    onA.send({ type: "chat", text: "first", clientMsgId: "d1" });
    const { sessionId } = await onA.next("message");
    await onA.next("run.completed");
    const onB = await r.connect(email, b);
    onB.send({ type: "chat", sessionId, text: "second", clientMsgId: "d2" });
    await outcomeOf(onB, "d2");
    await onB.next("run.completed");
    // 1,600 used: the next turn reserves a whole answer (500) and its history; over 2,000.
    expect(await today(userId)).toEqual({ input: 1000, output: 600, cost: 2.2, turns: 2 });
    const runsBefore = r.agent.requests.length;
    for (const [socket, clientMsgId] of [
      [onA, "d3-on-a"],
      [onB, "d3-on-b"],
    ] as const) {
      socket.send({ type: "chat", sessionId, text: "third", clientMsgId });
      const refusal = await outcomeOf(socket, clientMsgId);
      expect(refusal).toMatchObject({
        type: "error",
        code: "budget_exceeded",
        limit: "daily_tokens",
        resetsAt: nextUtcMidnight(),
      });
      expect(refusal.type === "error" && refusal.message).toContain("2,000 tokens");
    }
    // Refused before any model call, and nothing of those turns stored.
    expect(r.agent.requests.length).toBe(runsBefore);
    const [{ n }] = (await sql()`select count(*)::int as n from messages
      where session_id = ${sessionId}`) as unknown as [{ n: number }];
    expect(n).toBe(4);
    expect(await reservationsOf(userId)).toHaveLength(0);
    // Each process counted its own refusal.
    for (const api of [a, b])
      expect(
        await metric(api, /^budget_refusals_total\{[^}]*limit="daily_tokens"[^}]*\} (\d+)/m),
      ).toBeGreaterThanOrEqual(1);
    onA.close();
    onB.close();
  });

  test("20 turns at once against 5 a minute, over both processes: exactly 5 start", async () => {
    const { email, userId } = await userWith({ turnsPerMinute: 5 });
    r.agent.setScript(answerUsing(usage, "ok"));
    const sockets = await Promise.all(
      Array.from({ length: 20 }, (_, i) => r.connect(email, i % 2 === 0 ? a : b)),
    );
    const asked = Date.now();
    sockets.forEach((socket, i) => {
      socket.send({ type: "chat", text: `turn ${i}`, clientMsgId: `t${i}` });
    });
    const outcomes = await Promise.all(sockets.map((socket, i) => outcomeOf(socket, `t${i}`)));
    const started = outcomes.filter((event) => event.type === "run.started");
    const refused = outcomes.flatMap((event) => (event.type === "error" ? [event] : []));
    expect([started.length, refused.length]).toEqual([5, 15]);
    for (const refusal of refused) {
      expect(refusal).toMatchObject({ code: "budget_exceeded", limit: "turns_per_minute" });
      const resets = Date.parse(refusal.resetsAt!);
      expect(resets).toBeGreaterThan(asked);
      expect(resets).toBeLessThanOrEqual(Date.now() + 60_000);
    }
    // The five that started end normally.
    for (const [i, event] of outcomes.entries())
      if (event.type === "run.started") await sockets[i]!.next("run.completed");
    expect(r.agent.requests.filter((run) => run.body.userId === userId)).toHaveLength(5);
    // Each refused new chat left no session behind, and no reservation.
    const sessions = await sql()`select 1 from chat_sessions where user_id = ${userId}`;
    expect(sessions).toHaveLength(5);
    expect(await reservationsOf(userId)).toHaveLength(0);
    for (const socket of sockets) socket.close();
  });

  test("a cancelled run is charged what the agent reported before the Stop", async () => {
    const { email, userId } = await userWith({});
    r.agent.setScript(manual);
    const socket = await r.connect(email, b);
    socket.send({ type: "chat", text: "a long story", clientMsgId: "c1" });
    const { runId } = await socket.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "usage", usage: { inputTokens: 120, outputTokens: 30, model: "gpt-test" } });
    run.send({ type: "delta", text: "Once upon" });
    await socket.next("delta");
    socket.send({ type: "cancel", runId });
    expect(await socket.next("run.failed")).toMatchObject({ runId, code: "cancelled" });
    expect(await today(userId)).toEqual({ input: 120, output: 30, cost: 0.18, turns: 1 });
    expect(await reservationsOf(userId)).toHaveLength(0);
    socket.close();
  });

  test("a process killed mid-turn: its reservation holds until its peer finds it gone, no longer", async () => {
    const { email, userId } = await userWith({ concurrentRuns: 1 });
    r.agent.setScript(manual);
    const onA = await r.connect(email, a);
    onA.send({ type: "chat", text: "tell me", clientMsgId: "k1" });
    const { runId } = await onA.next("run.started");
    const run = await r.agent.nextRun();
    run.send({ type: "delta", text: "Shown before the crash." });
    // B follows the user's latest session: the one A is answering in.
    const onB = await r.connect(email, b);
    onB.send({ type: "chat", text: "meanwhile", clientMsgId: "k2" });
    const busy = await outcomeOf(onB, "k2");
    expect(busy).toMatchObject({ code: "budget_exceeded", limit: "concurrent_runs" });
    expect(busy.type === "error" && busy.resetsAt).toBeUndefined();
    expect((await reservationsOf(userId)).map((row) => row.run_id)).toEqual([runId]);

    await a.kill("SIGKILL");
    // B's sweep ends A's answer and forgets A in one statement: from then on, A's
    // reservation holds nothing.
    expect(await onB.next("run.failed")).toMatchObject({ runId, code: "interrupted" });
    r.agent.setScript(answerUsing(usage, "Here now."));
    onB.send({ type: "chat", text: "after", clientMsgId: "k3" });
    expect(await outcomeOf(onB, "k3")).toMatchObject({ type: "run.started" });
    await onB.next("run.completed");
    expect(await reservationsOf(userId)).toHaveLength(0);
    onB.close();
    onA.close();
    await a.restart();
  });
});
