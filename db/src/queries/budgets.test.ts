import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { reserveRequest, unlimited } from "../testing/budgets.ts";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { registerApiProcess, removeApiProcess } from "./api-processes.ts";
import {
  budgetToday,
  type ReserveRequest,
  releaseBudget,
  reserveBudget,
  setBudgetOverrides,
  settleBudget,
} from "./budgets.ts";
import { finishAssistantMessage, insertTurn } from "./messages.ts";
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

// As the api calls it: one statement of its own, beside the turn's other reads.
const reserve = (change: ReserveRequest) => reserveBudget(db.sql, change);

const settle = (userId: string, runId: string, inputTokens: number, outputTokens: number) =>
  settleBudget(db.sql, { runId, userId, inputTokens, outputTokens, costUsd: 0, timeZone: "UTC" });

const nextUtcMidnight = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
};

describe("daily tokens", () => {
  test("a turn reserves its estimate; one that would exceed the day is refused until midnight", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, dailyTokens: 2000 };
    // 400 characters ≈ 100 tokens, plus a whole answer at the cap of 500.
    const first = await reserve(request(userId, { defaults }));
    expect(first).toEqual({
      refused: null,
      reservedTokens: 600,
      inputTokens: 100,
      dailyTokens: 2000,
      usedToday: 0,
    });
    // Held while it runs: a second turn at once would need 1,200 of 2,000: fine; a third not.
    const second = request(userId, { defaults });
    expect((await reserve(second)).refused).toBeNull();
    expect(await reserve(request(userId, { defaults, inputChars: 3200 }))).toMatchObject({
      refused: "daily_tokens",
      limit: 2000,
      resetsAt: nextUtcMidnight(),
      reservedTokens: 1300,
    });
    // Settled to what it really used; the first turn still holds its 600.
    expect(await settle(userId, second.runId, 250, 650)).toEqual({
      reservedTokens: 600,
      usedThatDay: 900,
    });
    const today = await budgetToday(db.sql, userId, { defaults, timeZone: "UTC" });
    expect(today).toMatchObject({
      limits: defaults,
      inputTokens: 250,
      outputTokens: 650,
      turns: 1,
      running: 1,
      heldTokens: 600,
      resetsAt: nextUtcMidnight(),
    });
  });

  test("the estimate counts the session's history as the agent will be sent it", async () => {
    const userId = await createTestUser(db.sql);
    const session = await createSession(db.sql, userId, "history");
    const runId = crypto.randomUUID();
    const turn = await db.sql.begin((tx) =>
      insertTurn(tx, { sessionId: session.id, text: "hi", clientMsgId: "h1", runId }),
    );
    if (!("user" in turn)) throw new Error("duplicate");
    const items = [{ role: "assistant", content: "x".repeat(3990) }];
    await finishAssistantMessage(db.sql, turn.assistant.id, {
      content: "x",
      status: "complete",
      items,
    });
    const chars = JSON.stringify(items).length;
    const outcome = await reserve(
      request(userId, { sessionId: session.id, inputChars: 0, maxOutputTokens: 0 }),
    );
    // jsonb's text puts a space after each colon and comma: a few characters more.
    expect(outcome.reservedTokens).toBeGreaterThanOrEqual(Math.ceil(chars / 4));
    expect(outcome.reservedTokens).toBeLessThan(Math.ceil(chars / 4) + 5);
  });

  test("a day in another zone rolls over at that zone's midnight", async () => {
    const userId = await createTestUser(db.sql);
    const zone = "Pacific/Kiritimati"; // UTC+14, no daylight saving: its day is never UTC's
    const defaults = { ...unlimited, dailyTokens: 100 };
    const outcome = await reserve(request(userId, { defaults, timeZone: zone }));
    if (outcome.refused !== "daily_tokens") throw new Error("expected a refusal");
    const local = new Date(Date.now() + 14 * 3600_000);
    const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1);
    expect(outcome.resetsAt).toEqual(new Date(midnight - 14 * 3600_000));
  });
});

describe("turns per minute", () => {
  test("a sliding minute: the sixth turn is refused until the first is a minute old", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, turnsPerMinute: 5 };
    const started: Date[] = [];
    for (let i = 0; i < 5; i++) {
      const before = new Date();
      expect((await reserve(request(userId, { defaults }))).refused).toBeNull();
      started.push(before);
    }
    const refused = await reserve(request(userId, { defaults }));
    if (refused.refused !== "turns_per_minute") throw new Error("expected a refusal");
    expect(refused.limit).toBe(5);
    const resets = refused.resetsAt!.getTime();
    expect(resets).toBeGreaterThanOrEqual(started[0]!.getTime() + 60_000 - 1000);
    expect(resets).toBeLessThan(started[1]!.getTime() + 60_000);
    // Turns a minute old no longer count.
    await db.sql`
      update budget_accounts set recent_turns = array(
        select t - interval '61 seconds' from unnest(recent_turns) t)
      where user_id = ${userId}`;
    expect((await reserve(request(userId, { defaults }))).refused).toBeNull();
  });

  test("twenty turns at once against five a minute: exactly five go ahead", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, turnsPerMinute: 5 };
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => reserve(request(userId, { defaults }))),
    );
    expect(outcomes.filter((o) => o.refused === null).length).toBe(5);
    expect(outcomes.filter((o) => o.refused === "turns_per_minute").length).toBe(15);
  });
});

describe("runs at once", () => {
  test("held by live processes only, and only until they expire", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, concurrentRuns: 1 };
    const gone = crypto.randomUUID();
    await registerApiProcess(db.sql, { id: gone, host: "test", pid: 1 });
    expect((await reserve(request(userId, { defaults, ownerId: gone }))).refused).toBeNull();
    expect(await reserve(request(userId, { defaults }))).toMatchObject({
      refused: "concurrent_runs",
      limit: 1,
      resetsAt: null,
    });
    // The process is gone (a peer's sweep removed its row): its reservation holds nothing.
    await removeApiProcess(db.sql, gone);
    // Expiring at once: past for every later transaction.
    const mine = request(userId, { defaults, ttlMs: 0 });
    expect((await reserve(mine)).refused).toBeNull();
    expect(await db.sql`select 1 from budget_reservations where owner_id = ${gone}`).toHaveLength(
      0,
    );
    // An expired reservation holds nothing either.
    expect((await reserve(request(userId, { defaults }))).refused).toBeNull();
    expect(
      await db.sql`select 1 from budget_reservations where run_id = ${mine.runId}`,
    ).toHaveLength(0);
    // Its late settlement is still charged, to today.
    expect(await settle(userId, mine.runId, 10, 5)).toEqual({
      reservedTokens: null,
      usedThatDay: 15,
    });
  });
});

describe("a turn that is not stored after all", () => {
  test("gives back its reservation and its turn of the minute", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { ...unlimited, turnsPerMinute: 1, concurrentRuns: 1 };
    const busy = request(userId, { defaults });
    expect((await reserve(busy)).refused).toBeNull();
    expect((await reserve(request(userId, { defaults }))).refused).toBe("turns_per_minute");
    await releaseBudget(db.sql, busy.runId);
    expect(await db.sql`select 1 from budget_reservations where user_id = ${userId}`).toHaveLength(
      0,
    );
    expect((await reserve(request(userId, { defaults }))).refused).toBeNull();
  });

  test("a frame already stored (sent again) is neither checked nor held", async () => {
    const userId = await createTestUser(db.sql);
    const session = await createSession(db.sql, userId, "again");
    const defaults = { ...unlimited, dailyTokens: 1 };
    await insertTurn(db.sql, {
      sessionId: session.id,
      text: "hi",
      clientMsgId: "sent-once",
      runId: crypto.randomUUID(),
    });
    // Over any budget, yet answered with its replay rather than refused.
    const again = await reserve(request(userId, { defaults, clientMsgId: "sent-once" }));
    expect(again).toMatchObject({ refused: null, reservedTokens: 0 });
    expect(await db.sql`select 1 from budget_reservations where user_id = ${userId}`).toHaveLength(
      0,
    );
    expect((await reserve(request(userId, { defaults }))).refused).toBe("daily_tokens");
  });
});

describe("a user's own limits", () => {
  test("override the defaults (0: unlimited) and go back to them", async () => {
    const userId = await createTestUser(db.sql);
    const defaults = { dailyTokens: 100, turnsPerMinute: 1, concurrentRuns: 1 };
    await setBudgetOverrides(db.sql, userId, { dailyTokens: 0, turnsPerMinute: 3 });
    let today = await budgetToday(db.sql, userId, { defaults, timeZone: "UTC" });
    expect(today.overrides).toEqual({ dailyTokens: 0, turnsPerMinute: 3, concurrentRuns: null });
    expect(today.limits).toEqual({ dailyTokens: 0, turnsPerMinute: 3, concurrentRuns: 1 });
    const first = request(userId, { defaults });
    expect((await reserve(first)).refused).toBeNull();
    await settle(userId, first.runId, 1, 1);
    expect((await reserve(request(userId, { defaults }))).refused).toBeNull();
    await setBudgetOverrides(db.sql, userId, { dailyTokens: null, concurrentRuns: 5 });
    today = await budgetToday(db.sql, userId, { defaults, timeZone: "UTC" });
    expect(today.overrides).toEqual({ dailyTokens: null, turnsPerMinute: 3, concurrentRuns: 5 });
    expect((await reserve(request(userId, { defaults }))).refused).toBe("daily_tokens");
  });
});
