import { describe, expect, test } from "bun:test";
import { devApiBudgets } from "./dev-env.ts";

describe("bun dev's budgets", () => {
  test("generous limits where none is set, so the state panel shows its bar", () => {
    const given = devApiBudgets({});
    expect(Number(given.BUDGET_DAILY_TOKENS)).toBeGreaterThanOrEqual(100_000);
    expect(Number(given.BUDGET_TURNS_PER_MINUTE)).toBeGreaterThan(0);
    expect(Number(given.BUDGET_CONCURRENT_RUNS)).toBeGreaterThan(0);
  });

  test("a value from the environment or .env always wins, 0 (unlimited) included; blank is unset", () => {
    const given = devApiBudgets({
      BUDGET_DAILY_TOKENS: "0",
      BUDGET_TURNS_PER_MINUTE: "5",
      BUDGET_CONCURRENT_RUNS: " ",
    });
    expect(given.BUDGET_DAILY_TOKENS).toBeUndefined();
    expect(given.BUDGET_TURNS_PER_MINUTE).toBeUndefined();
    expect(given.BUDGET_CONCURRENT_RUNS).toBeDefined();
    // Spread after the environment, as dev.ts does: the given values stay.
    const env = { BUDGET_DAILY_TOKENS: "0", BUDGET_TURNS_PER_MINUTE: "5" };
    expect({ ...env, ...devApiBudgets(env) }).toMatchObject(env);
  });
});
