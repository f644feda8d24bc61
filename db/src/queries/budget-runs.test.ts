/**
 * Budgets across a run's whole life (migration 0008): the history estimate is the agent's
 * history (replaced answers left out), a resume is judged by the limits like any run, a run
 * going on to another model call extends its reservation or is refused, and a reservation
 * nobody settles is charged for the call its run was in, not dropped.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { reserveRequest, unlimited } from "../testing/budgets.ts";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { registerApiProcess, removeApiProcess } from "./api-processes.ts";
import {
  budgetToday,
  extendBudget,
  type ReserveRequest,
  reserveBudget,
  settleAbandonedBudgets,
} from "./budgets.ts";
import {
  checkpointAssistantMessage,
  finishAssistantMessage,
  historyItems,
  insertRegeneration,
  insertTurn,
} from "./messages.ts";
import { createSession } from "./sessions.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
let owner: string;
beforeAll(async () => {
  db = await createTestDatabase();
  owner = crypto.randomUUID();
  await registerApiProcess(db.sql, { id: owner, host: "test", pid: process.pid });
});
afterAll(() => db.close());

const request = (userId: string, change: Partial<ReserveRequest> = {}) =>
  reserveRequest(userId, owner, change);

const usedToday = async (userId: string) => {
  const today = await budgetToday(db.sql, userId, { defaults: unlimited, timeZone: "UTC" });
  return today.inputTokens + today.outputTokens;
};

/** A turn stored and answered with `items` (what the agent replays of it). */
async function answered(sessionId: string, text: string, items: unknown[]) {
  const turn = await insertTurn(db.sql, {
    sessionId,
    text,
    clientMsgId: crypto.randomUUID(),
    runId: crypto.randomUUID(),
  });
  if (!("user" in turn)) throw new Error("duplicate");
  await finishAssistantMessage(db.sql, turn.assistant.id, {
    content: text,
    status: "complete",
    items: items as never,
  });
  return turn;
}

describe("the history a run is estimated with", () => {
  test("is the agent's: an answer replaced by a regenerate is not counted", async () => {
    const userId = await createTestUser(db.sql);
    const session = await createSession(db.sql, userId, "estimate");
    await answered(session.id, "first", [{ role: "assistant", content: "x".repeat(4000) }]);
    const again = await db.sql.begin((tx) =>
      insertRegeneration(tx, {
        sessionId: session.id,
        clientMsgId: crypto.randomUUID(),
        runId: crypto.randomUUID(),
      }),
    );
    if (!("user" in again)) throw new Error("expected a regeneration");
    const kept = [{ role: "assistant", content: "short" }];
    await finishAssistantMessage(db.sql, again.assistant.id, {
      content: "short",
      status: "complete",
      items: kept as never,
    });
    expect(await historyItems(db.sql, session.id, 2 ** 31 - 1)).toEqual(kept);
    const outcome = await reserve(userId, { sessionId: session.id, inputChars: 0 });
    // The replaced answer's 4,000 characters are not part of it: only the short one's.
    expect(outcome.inputTokens).toBeLessThan(20);
  });
});

const reserve = (userId: string, change: Partial<ReserveRequest> = {}) =>
  reserveBudget(db.sql, request(userId, { maxOutputTokens: 0, ...change }));

describe("a resumed run", () => {
  test("is judged by the limits like any run, though its question was sent before", async () => {
    const userId = await createTestUser(db.sql);
    const session = await createSession(db.sql, userId, "resume");
    const asked = await answered(session.id, "delete it", []);
    const defaults = { ...unlimited, dailyTokens: 50, concurrentRuns: 1 };
    // The question's own clientMsgId: a re-sent frame, answered by its replay, holds nothing.
    const replay = request(userId, { defaults, clientMsgId: asked.user.clientMsgId ?? null });
    expect(await reserveBudget(db.sql, replay)).toMatchObject({ refused: null, reservedTokens: 0 });
    // A resume names no frame: 400 characters and an answer of 500 do not fit in 50.
    const resumed = request(userId, { defaults, clientMsgId: null, countsAsTurn: false });
    expect(await reserveBudget(db.sql, resumed)).toMatchObject({ refused: "daily_tokens" });
    // Within the day, runs at once still count it.
    const roomy = { ...defaults, dailyTokens: 100_000 };
    const first = request(userId, { defaults: roomy, clientMsgId: null, countsAsTurn: false });
    expect((await reserveBudget(db.sql, first)).refused).toBeNull();
    const second = request(userId, { defaults: roomy, clientMsgId: null, countsAsTurn: false });
    expect(await reserveBudget(db.sql, second)).toMatchObject({ refused: "concurrent_runs" });
  });

  test("takes no turn of the minute", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, turnsPerMinute: 1 };
    const turn = request(userId, { defaults });
    expect((await reserveBudget(db.sql, turn)).refused).toBeNull();
    const resumed = request(userId, { defaults, clientMsgId: null, countsAsTurn: false });
    expect((await reserveBudget(db.sql, resumed)).refused).toBeNull();
    expect((await reserveBudget(db.sql, request(userId, { defaults }))).refused).toBe(
      "turns_per_minute",
    );
  });
});

describe("a run going on to another model call", () => {
  test("holds what it reported and the next call, if the day has room for them", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, dailyTokens: 1000 };
    const run = request(userId, { defaults, inputChars: 400, maxOutputTokens: 200 });
    expect((await reserveBudget(db.sql, run)).refused).toBeNull();
    const extend = (reportedOutput: number) =>
      extendBudget(db.sql, {
        runId: run.runId,
        reportedInput: 100,
        reportedOutput,
        reportedChars: reportedOutput * 4,
        nextCallTokens: 300,
        dailyTokens: 1000,
      });
    expect(await extend(100)).toBe(true);
    const [held] = await db.sql<{ tokens: string }[]>`
      select tokens from budget_reservations where run_id = ${run.runId}`;
    expect(Number(held!.tokens)).toBe(500);
    // 100 + 650 reported and a call of 300: past the day's 1,000.
    expect(await extend(650)).toBe(false);
    // A run that holds nothing (budgets off, already settled) is not stopped here.
    expect(
      await extendBudget(db.sql, {
        runId: crypto.randomUUID(),
        reportedInput: 1,
        reportedOutput: 1,
        reportedChars: 4,
        nextCallTokens: 1,
        dailyTokens: 1000,
      }),
    ).toBe(true);
  });
});

describe("a reservation nobody settles", () => {
  test("is charged for its run's call in flight when its process is gone", async () => {
    const userId = await createTestUser(db.sql);
    const session = await createSession(db.sql, userId, "crash");
    const gone = crypto.randomUUID();
    await registerApiProcess(db.sql, { id: gone, host: "test", pid: 1 });
    const run = request(userId, { ownerId: gone, inputChars: 400, maxOutputTokens: 500 });
    expect((await reserveBudget(db.sql, run)).refused).toBeNull();
    const turn = await insertTurn(db.sql, {
      sessionId: session.id,
      text: "tell me a long story",
      clientMsgId: crypto.randomUUID(),
      runId: run.runId,
      ownerId: gone,
    });
    if (!("user" in turn)) throw new Error("duplicate");
    // What the person saw before the process died (its last checkpoint).
    await checkpointAssistantMessage(db.sql, turn.assistant.id, {
      content: "y".repeat(800),
      tools: [],
    });
    // A reservation whose turn was never stored made no model call: dropped, charged nothing.
    const neverStored = request(userId, { ownerId: gone });
    expect((await reserveBudget(db.sql, neverStored)).refused).toBeNull();
    await removeApiProcess(db.sql, gone);
    expect(await settleAbandonedBudgets(db.sql)).toBe(2);
    // 400 characters of input ≈ 100 tokens; 800 characters streamed ≈ 200.
    expect(await usedToday(userId)).toBe(300);
    expect(await db.sql`select 1 from budget_reservations where user_id = ${userId}`).toHaveLength(
      0,
    );
  });
});
