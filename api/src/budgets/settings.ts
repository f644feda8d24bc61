/**
 * Budget settings from the environment (the api's env.ts and `bun run admin budget` read the
 * same fields). Every limit is per user; 0 is unlimited; all three at 0 turns budgets off
 * (no reservation, no per-user limits, nothing added to a turn).
 */

import type { BudgetLimits } from "@trainer2/db/queries/budgets";
import { blankAsUnset, wholeNumber } from "@trainer2/shared/config";
import { type PriceTable, priceTableField } from "@trainer2/shared/prices";
import { z } from "zod";

export type BudgetSettings = {
  /** Each user's limits unless their own row says otherwise; 0 is unlimited. */
  defaults: BudgetLimits;
  /** The cap on each model answer, sent to the model; a turn reserves a whole answer at it. */
  maxOutputTokens: number;
  /** Where a budget day begins and ends (IANA name; UTC by default). */
  timeZone: string;
  /** USD per million tokens by model: the estimated cost on spans, metrics and the admin command. */
  prices: PriceTable;
};

export const defaultMaxOutputTokens = 4096;

export const budgetsOff: BudgetSettings = {
  defaults: { dailyTokens: 0, turnsPerMinute: 0, concurrentRuns: 0 },
  maxOutputTokens: defaultMaxOutputTokens,
  timeZone: "UTC",
  prices: new Map(),
};

/** Budgets are on when any default limit is. */
export const budgetsOn = (settings: BudgetSettings) =>
  Object.values(settings.defaults).some((limit) => limit > 0);

const isTimeZone = (name: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
};

const timeZone = blankAsUnset(
  z
    .string()
    .refine(isTimeZone, "expected an IANA time zone such as UTC or Europe/Paris")
    .default("UTC"),
);

export const budgetEnvFields = {
  /** Model tokens (input + output, as the agent reports them) per user per day. */
  BUDGET_DAILY_TOKENS: wholeNumber(0, 1e12, 0),
  /** Chat turns per user in any 60 seconds. */
  BUDGET_TURNS_PER_MINUTE: wholeNumber(0, 100_000, 0),
  /** Answers being written at once per user, across every session and api process. */
  BUDGET_CONCURRENT_RUNS: wholeNumber(0, 100_000, 0),
  BUDGET_MAX_OUTPUT_TOKENS: wholeNumber(1, 1_000_000, defaultMaxOutputTokens),
  BUDGET_TIME_ZONE: timeZone,
  MODEL_PRICES: priceTableField,
};

type BudgetEnv = {
  BUDGET_DAILY_TOKENS: number;
  BUDGET_TURNS_PER_MINUTE: number;
  BUDGET_CONCURRENT_RUNS: number;
  BUDGET_MAX_OUTPUT_TOKENS: number;
  BUDGET_TIME_ZONE: string;
  MODEL_PRICES: PriceTable;
};

export function budgetSettingsOf(env: BudgetEnv): BudgetSettings {
  return {
    defaults: {
      dailyTokens: env.BUDGET_DAILY_TOKENS,
      turnsPerMinute: env.BUDGET_TURNS_PER_MINUTE,
      concurrentRuns: env.BUDGET_CONCURRENT_RUNS,
    },
    maxOutputTokens: env.BUDGET_MAX_OUTPUT_TOKENS,
    timeZone: env.BUDGET_TIME_ZONE,
    prices: env.MODEL_PRICES,
  };
}

/**
 * What `bun dev` sets where the environment (or .env) leaves a limit unset: generous enough
 * never to get in the way of trying things, on so the state panel shows its bar.
 */
export const devBudgetDefaults = {
  BUDGET_DAILY_TOKENS: "1000000",
  BUDGET_TURNS_PER_MINUTE: "30",
  BUDGET_CONCURRENT_RUNS: "3",
} as const;

/** The dev defaults for the limits `env` leaves unset (blank counts as unset); a value given wins. */
export function devBudgetDefaultsFor(
  env: Record<string, string | undefined>,
): Partial<Record<keyof typeof devBudgetDefaults, string>> {
  return Object.fromEntries(
    Object.entries(devBudgetDefaults).filter(([name]) => !env[name]?.trim()),
  );
}
