import { describe, expect, test } from "bun:test";
import { EnvError, parseEnv } from "@trainer2/shared/config";
import { z } from "zod";
import { whenInZone } from "./refusal.ts";
import { budgetEnvFields, budgetSettingsOf, budgetsOn } from "./settings.ts";

const schema = z.object(budgetEnvFields);
const settingsOf = (env: Record<string, string>) => budgetSettingsOf(parseEnv(schema, env));

describe("budget settings from the environment", () => {
  test("unset: off (every limit unlimited), answers capped at 4096, days in UTC, no prices", () => {
    const settings = settingsOf({});
    expect(settings).toMatchObject({
      defaults: { dailyTokens: 0, turnsPerMinute: 0, concurrentRuns: 0 },
      maxOutputTokens: 4096,
      timeZone: "UTC",
    });
    expect(settings.prices.size).toBe(0);
    expect(budgetsOn(settings)).toBe(false);
  });

  test("any one default limit turns budgets on", () => {
    const settings = settingsOf({
      BUDGET_CONCURRENT_RUNS: "2",
      BUDGET_TIME_ZONE: "Europe/Paris",
      MODEL_PRICES: "gpt-4.1-mini=0.4/1.6",
    });
    expect(budgetsOn(settings)).toBe(true);
    expect(settings.timeZone).toBe("Europe/Paris");
    expect(settings.prices.get("gpt-4.1-mini")?.outputUsdPerMTok).toBe(1.6);
  });

  test("each bad value is named", () => {
    let problems: string[] = [];
    try {
      parseEnv(schema, {
        BUDGET_DAILY_TOKENS: "-1",
        BUDGET_TURNS_PER_MINUTE: "lots",
        BUDGET_MAX_OUTPUT_TOKENS: "0",
        BUDGET_TIME_ZONE: "Mars/Olympus",
      });
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems = error.problems;
    }
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "BUDGET_DAILY_TOKENS",
      "BUDGET_TURNS_PER_MINUTE",
      "BUDGET_MAX_OUTPUT_TOKENS",
      "BUDGET_TIME_ZONE",
    ]);
    expect(problems.at(-1)).toContain("expected an IANA time zone");
  });
});

describe("when a budget resets, in the server's sentence", () => {
  test("in the budget's zone, with its name; seconds only when they are not :00", () => {
    const midnight = new Date("2026-12-02T00:00:00Z");
    expect(whenInZone(midnight, "UTC")).toBe("2026-12-02 00:00 UTC");
    expect(whenInZone(midnight, "Asia/Tokyo")).toBe("2026-12-02 09:00 GMT+9");
    expect(whenInZone(new Date("2026-12-01T14:03:20Z"), "UTC")).toBe("2026-12-01 14:03:20 UTC");
  });
});
