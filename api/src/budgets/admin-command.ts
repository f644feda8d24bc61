/**
 * `bun run admin budget <email> [--daily-tokens N] [--turns-per-minute N] [--concurrent-runs N]`:
 * shows a person's limits (their own, or the default and where it comes from) and today's
 * use (tokens in and out, turns, estimated cost, answers running); with flags, sets their
 * limits first. N is a whole number, 0 for unlimited, or `default` to follow BUDGET_* again.
 * One email may belong to several people (one user per sign-in identity, and a provider may
 * not verify emails): a change applies to exactly one, so when several match it names them
 * and changes nothing until `--user <id>` picks one. It says how many it changed.
 */
import type { Sql } from "@trainer2/db";
import {
  type BudgetLimits,
  type BudgetOverrides,
  type BudgetToday,
  budgetToday,
  setBudgetOverrides,
} from "@trainer2/db/queries/budgets";
import { findUsersByEmail, type UserRecord } from "@trainer2/db/queries/users";
import { whenInZone } from "./refusal.ts";
import { type BudgetSettings, budgetsOn } from "./settings.ts";

export const budgetUsage = `usage: bun run admin budget <email> [--user <id>] [--daily-tokens N] [--turns-per-minute N] [--concurrent-runs N]
  N: a whole number, 0 for unlimited, or "default" to follow BUDGET_* again
  --user: the one user to change when several have this email (their ids are listed)`;

export class UsageError extends Error {}

const flags: Record<string, keyof BudgetLimits> = {
  "--daily-tokens": "dailyTokens",
  "--turns-per-minute": "turnsPerMinute",
  "--concurrent-runs": "concurrentRuns",
};

const envNames: Record<keyof BudgetLimits, string> = {
  dailyTokens: "BUDGET_DAILY_TOKENS",
  turnsPerMinute: "BUDGET_TURNS_PER_MINUTE",
  concurrentRuns: "BUDGET_CONCURRENT_RUNS",
};

const labels: Record<keyof BudgetLimits, string> = {
  dailyTokens: "daily tokens",
  turnsPerMinute: "turns per minute",
  concurrentRuns: "concurrent runs",
};

export type BudgetArgs = { email: string; change: Partial<BudgetOverrides>; userId?: string };

/** The command's arguments (after `budget`); a UsageError names what is wrong. */
export function parseBudgetArgs(argv: string[]): BudgetArgs {
  // `--flag=value` reads as `--flag value`.
  const [email, ...rest] = argv.flatMap((arg) =>
    arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg],
  );
  if (!email || email.startsWith("--")) throw new UsageError("name the person by their email");
  const change: Partial<BudgetOverrides> = {};
  let userId: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const [name, given] = [rest[i]!, rest[i + 1]];
    if (name === "--user") {
      if (!given) throw new UsageError("--user needs a user id");
      userId = given;
      continue;
    }
    const key = flags[name];
    if (!key) throw new UsageError(`unknown option ${name}`);
    if (given === undefined) throw new UsageError(`${name} needs a value`);
    if (given === "default") change[key] = null;
    else if (/^\d+$/.test(given) && Number.isSafeInteger(Number(given)))
      change[key] = Number(given);
    else throw new UsageError(`${name}: expected a whole number ≥ 0 or "default", got "${given}"`);
  }
  return { email, change, ...(userId ? { userId } : {}) };
}

/** Runs the command; returns the exit code (1: nobody has that email). */
export async function budgetCommand(
  sql: Sql,
  args: BudgetArgs,
  settings: BudgetSettings,
  print: (line: string) => void,
): Promise<number> {
  const found = await findUsersByEmail(sql, args.email);
  const users = args.userId ? found.filter((user) => user.id === args.userId) : found;
  if (users.length === 0) {
    print(
      args.userId && found.length > 0
        ? `No user ${args.userId} has the email ${args.email}.`
        : `Nobody with the email ${args.email} has signed in.`,
    );
    return 1;
  }
  const changing = Object.keys(args.change).length > 0;
  if (changing && users.length > 1) {
    print(`${users.length} users have the email ${args.email}; nothing was changed.`);
    for (const user of users) print(`  --user ${user.id}  ${user.email} (${user.issuer})`);
    print("Name the one to change with --user <id>.");
    return 1;
  }
  if (!budgetsOn(settings))
    print(
      "Budgets are off here: every BUDGET_* default is 0 (unlimited). A person's own limits " +
        "apply once one default is set.",
    );
  for (const user of users) {
    if (changing) await setBudgetOverrides(sql, user.id, args.change);
    const today = await budgetToday(sql, user.id, {
      defaults: settings.defaults,
      timeZone: settings.timeZone,
    });
    for (const line of budgetReport(user, today, settings)) print(line);
  }
  if (changing) print(`Changed the limits of ${users.length} user.`);
  return 0;
}

const count = (n: number) => n.toLocaleString("en-US");
const limitText = (n: number) => (n > 0 ? count(n) : "unlimited");

export function budgetReport(user: UserRecord, today: BudgetToday, settings: BudgetSettings) {
  const rows = (Object.keys(labels) as (keyof BudgetLimits)[]).map((key) => {
    const own = today.overrides[key];
    const from = own === null ? `default (${envNames[key]})` : "set for this person";
    return `  ${labels[key].padEnd(18)}${limitText(today.limits[key]).padEnd(12)}${from}`;
  });
  const used = today.inputTokens + today.outputTokens;
  const daily = today.limits.dailyTokens;
  const cost =
    settings.prices.size > 0 ? `, est. $${today.costUsd.toFixed(4)}` : " (no MODEL_PRICES set)";
  return [
    `${user.email} (${user.name ?? "no name"}; user ${user.id}, ${user.issuer})`,
    ...rows,
    `  today ${today.day} (resets ${whenInZone(today.resetsAt, settings.timeZone)}): ` +
      `${count(used)} tokens (${count(today.inputTokens)} in, ${count(today.outputTokens)} out) ` +
      `in ${count(today.turns)} turn${today.turns === 1 ? "" : "s"}${cost}`,
    `  running now: ${count(today.running)} answer${today.running === 1 ? "" : "s"}, ` +
      `${count(today.heldTokens)} tokens reserved` +
      (daily > 0 ? `; left today: ${count(Math.max(0, daily - used - today.heldTokens))}` : ""),
  ];
}
