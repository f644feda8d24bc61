import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { registerApiProcess } from "@trainer2/db/queries/api-processes";
import { createTestDatabase, createTestUser, type TestDatabase } from "@trainer2/db/testing";
import { AppError } from "@trainer2/shared/errors";
import { createLogger } from "@trainer2/shared/logger";
import { createMetrics } from "@trainer2/shared/metrics";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { createBudgets } from "./budgets.ts";
import { type BudgetSettings, budgetsOff } from "./settings.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
const processId = crypto.randomUUID();
const telemetry = initTelemetry({ serviceName: "api", logLevel: "silent" });
beforeAll(async () => {
  db = await createTestDatabase();
  await registerApiProcess(db.sql, { id: processId, host: "test", pid: process.pid });
});
afterAll(() => db.close());

function budgets(settings: BudgetSettings) {
  const metrics = createMetrics("api", { defaultMetrics: false });
  const made = createBudgets({
    sql: db.sql,
    settings,
    metrics,
    logger: createLogger({ service: "api", level: "silent" }),
    processId,
    reservationTtlMs: 60_000,
    retryForMs: 0,
    now: Date.now,
  });
  return { budgets: made, metrics };
}

const turn = (userId: string, runId = crypto.randomUUID()) => ({
  userId,
  runId,
  text: "hello",
  clientMsgId: "c1",
  countsAsTurn: true,
  span: telemetry.startSpan("chat.turn"),
});

const rowsOf = async (userId: string) => {
  const counts = await db.sql<{ n: number }[]>`
    select (select count(*) from budget_accounts where user_id = ${userId})::int
      + (select count(*) from budget_days where user_id = ${userId})::int
      + (select count(*) from budget_reservations where user_id = ${userId})::int as n`;
  return counts[0]!.n;
};

describe("a turn's budget", () => {
  test("off (every default 0): nothing is read or written, the panel shows no bar", async () => {
    const { budgets: off } = budgets(budgetsOff);
    const userId = await createTestUser(db.sql);
    const t = turn(userId);
    const hold = await off.reserve(t);
    hold.allow();
    await hold.release();
    await off.settle({ ...t, usage: { inputTokens: 10, outputTokens: 5 } });
    expect(await rowsOf(userId)).toBe(0);
    expect(await off.today(userId)).toBeNull();
  });

  test("on: a refusal holds nothing and names the limit, its reset and the frame it answers", async () => {
    const settings = {
      ...budgetsOff,
      defaults: { dailyTokens: 100, turnsPerMinute: 0, concurrentRuns: 0 },
      maxOutputTokens: 500,
    };
    const { budgets: on, metrics } = budgets(settings);
    const userId = await createTestUser(db.sql);
    const hold = await on.reserve(turn(userId));
    let refusal: unknown;
    try {
      hold.allow();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).toJSON()).toMatchObject({
      code: "budget_exceeded",
      clientMsgId: "c1",
      limit: "daily_tokens",
      resetsAt: expect.stringMatching(/T00:00:00\.000Z$/),
    });
    expect((await metrics.budgetRefusals.get()).values).toEqual([
      expect.objectContaining({ labels: { limit: "daily_tokens" }, value: 1 }),
    ]);
    // Nothing held by the refused turn.
    expect(await db.sql`select 1 from budget_reservations where user_id = ${userId}`).toHaveLength(
      0,
    );
    expect(await on.today(userId)).toMatchObject({ dailyTokens: 100, usedTokens: 0 });
  });
});
