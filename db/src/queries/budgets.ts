/**
 * Budgets: per-user limits (overrides of the api's BUDGET_* defaults), what each user used
 * per day, and the reservations of turns in flight. The check and the reservation of a turn
 * are one call of `budget_reserve` (migration 0005) in the turn's first round of reads; the
 * settlement is one statement. Days are the database's own clock, in the given time zone.
 */
import type { Queryable } from "./users.ts";

export type BudgetLimitName = "daily_tokens" | "turns_per_minute" | "concurrent_runs";

/** Limits as numbers; 0 is unlimited. */
export type BudgetLimits = { dailyTokens: number; turnsPerMinute: number; concurrentRuns: number };

/** A user's own limits: null where the default applies. */
export type BudgetOverrides = { [K in keyof BudgetLimits]: number | null };

export type ReserveRequest = {
  userId: string;
  runId: string;
  /** The api process that runs the turn: its reservation ends with it. */
  ownerId: string;
  /** The session the turn continues (its history is estimated); none for a new one. */
  sessionId: string | undefined;
  /**
   * The chat frame's id: a frame already stored (re-sent) is not held again. Null for a run
   * that is no new frame (a resume): always judged.
   */
  clientMsgId: string | null;
  inputChars: number;
  maxOutputTokens: number;
  defaults: BudgetLimits;
  timeZone: string;
  /** A reservation left by a run that never settles holds at most this long. */
  ttlMs: number;
  /** How many earlier turns the agent is sent (historyItems' cap). */
  historyTurns: number;
  /** The history estimated is the one before this seq (a regenerate's or resume's question). */
  beforeSeq?: number | undefined;
  /** Whether it takes a turn of the minute (a chat turn, a regenerate; not a resume). */
  countsAsTurn?: boolean;
};

export type ReserveOutcome =
  | {
      refused: null;
      /** The estimate of one model call: its input, plus a whole answer at the cap. */
      reservedTokens: number;
      /** The input part of that estimate. */
      inputTokens: number;
      dailyTokens: number;
      usedToday: number;
    }
  | {
      refused: BudgetLimitName;
      /** The value of the limit that was hit. */
      limit: number;
      /** Null for runs at once: it resets when one of them ends. */
      resetsAt: Date | null;
      reservedTokens: number;
      inputTokens: number;
      dailyTokens: number;
      usedToday: number;
    };

type ReserveRow = {
  refused: BudgetLimitName | null;
  limit_value: string | number | null;
  resets_at: Date | string | null;
  reserved: string | number;
  input_tokens: string | number;
  daily_limit: string | number;
  used: string | number;
};

/**
 * Checks the user's limits and, when they allow it, reserves the turn (one statement, its own
 * transaction). A turn that is then not stored gives its reservation back (`releaseBudget`).
 */
export async function reserveBudget(
  tx: Queryable,
  request: ReserveRequest,
): Promise<ReserveOutcome> {
  const { defaults } = request;
  const [row] = await tx<ReserveRow[]>`
    select * from budget_reserve(
      ${request.userId}, ${request.runId}, ${request.ownerId}, ${request.sessionId ?? null},
      ${request.clientMsgId}, ${request.inputChars}, ${request.maxOutputTokens}, ${defaults.dailyTokens},
      ${defaults.turnsPerMinute}, ${defaults.concurrentRuns}, ${request.timeZone},
      ${Math.round(request.ttlMs)}, ${request.historyTurns}, ${request.beforeSeq ?? null},
      ${request.countsAsTurn ?? true})`;
  if (!row) throw new Error("budget_reserve returned no row");
  const numbers = {
    reservedTokens: Number(row.reserved),
    inputTokens: Number(row.input_tokens),
    dailyTokens: Number(row.daily_limit),
    usedToday: Number(row.used),
  };
  if (row.refused === null) return { refused: null, ...numbers };
  return {
    refused: row.refused,
    limit: Number(row.limit_value),
    resetsAt: dateOrNull(row.resets_at),
    ...numbers,
  };
}

/** Gives back the reservation of a turn that was not stored after all, and its turn of the minute. */
export async function releaseBudget(sql: Queryable, runId: string): Promise<void> {
  await sql`
    with released as (
      delete from budget_reservations where run_id = ${runId} returning user_id, started_at
    )
    update budget_accounts a set recent_turns = array_remove(a.recent_turns, r.started_at)
    from released r where a.user_id = r.user_id`;
}

/**
 * A run going on to another model call: it holds what it reported so far plus that call, if
 * the day has room for it (judged as a new run is). False: refused, the run must stop. True
 * when the run holds no reservation (budgets off, already settled).
 */
export async function extendBudget(
  sql: Queryable,
  run: {
    runId: string;
    reportedInput: number;
    reportedOutput: number;
    reportedChars: number;
    nextCallTokens: number;
    dailyTokens: number;
  },
): Promise<boolean> {
  const [row] = await sql<{ allowed: boolean }[]>`
    select budget_extend(${run.runId}, ${run.reportedInput}, ${run.reportedOutput},
      ${run.reportedChars}, ${run.nextCallTokens}, ${run.dailyTokens}) as allowed`;
  return row?.allowed ?? true;
}

/**
 * Charges and removes every reservation nobody will settle (their process is gone, or they
 * expired): a run whose answer was stored is charged what it reported plus its call in flight,
 * estimated (migration 0008). The api's sweep calls it; returns how many it ended.
 */
export async function settleAbandonedBudgets(sql: Queryable): Promise<number> {
  const [row] = await sql<{ ended: number }[]>`select budget_settle_abandoned(null) as ended`;
  return row?.ended ?? 0;
}

export type Settlement = {
  /** What the turn had reserved; null when its reservation had already gone (expired). */
  reservedTokens: number | null;
  /** The user's tokens for that day, this turn included. */
  usedThatDay: number;
};

/**
 * Ends a turn's reservation and charges what it really used to the day it reserved on (today
 * when the reservation expired meanwhile). One statement; safe to repeat only once per run.
 */
export async function settleBudget(
  sql: Queryable,
  turn: {
    runId: string;
    userId: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    timeZone: string;
  },
): Promise<Settlement> {
  const [row] = await sql<{ reserved: string | number | null; used: string | number }[]>`
    with released as (
      delete from budget_reservations where run_id = ${turn.runId} returning day, tokens
    )
    insert into budget_days as d (user_id, day, input_tokens, output_tokens, cost_usd, turns)
    values (
      ${turn.userId},
      coalesce((select day from released), (now() at time zone ${turn.timeZone})::date),
      ${turn.inputTokens}, ${turn.outputTokens}, ${turn.costUsd}, 1
    )
    on conflict (user_id, day) do update set
      input_tokens = d.input_tokens + excluded.input_tokens,
      output_tokens = d.output_tokens + excluded.output_tokens,
      cost_usd = d.cost_usd + excluded.cost_usd,
      turns = d.turns + 1
    returning (select tokens from released) as reserved, d.input_tokens + d.output_tokens as used`;
  if (!row) throw new Error("settling returned no row");
  return {
    reservedTokens: row.reserved === null ? null : Number(row.reserved),
    usedThatDay: Number(row.used),
  };
}

export type BudgetToday = {
  /** The limits in force for the user (overrides over the defaults); 0 is unlimited. */
  limits: BudgetLimits;
  overrides: BudgetOverrides;
  day: string;
  resetsAt: Date;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  turns: number;
  /** Reservations of turns in flight that still hold (their process alive, not expired). */
  running: number;
  heldTokens: number;
};

type TodayRow = {
  daily_tokens: string | number | null;
  turns_per_minute: number | null;
  concurrent_runs: number | null;
  day: string;
  resets_at: Date | string;
  input_tokens: string | number;
  output_tokens: string | number;
  cost_usd: number;
  turns: number;
  running: string | number;
  held: string | number;
};

const numberOrNull = (value: string | number | null) => (value === null ? null : Number(value));
const dateOrNull = (value: Date | string | null) =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/** The user's limits and use today, in one read (the state panel and the admin command). */
export async function budgetToday(
  sql: Queryable,
  userId: string,
  options: { defaults: BudgetLimits; timeZone: string },
): Promise<BudgetToday> {
  const [row] = await sql<TodayRow[]>`
    with today as (select (now() at time zone ${options.timeZone})::date as day)
    select a.daily_tokens, a.turns_per_minute, a.concurrent_runs, t.day::text as day,
      (t.day + 1)::timestamp at time zone ${options.timeZone} as resets_at,
      coalesce(d.input_tokens, 0) as input_tokens, coalesce(d.output_tokens, 0) as output_tokens,
      coalesce(d.cost_usd, 0) as cost_usd, coalesce(d.turns, 0) as turns,
      (select count(*) from budget_reservations r
        where r.user_id = ${userId} and r.expires_at > now()
          and exists (select 1 from api_processes p where p.id = r.owner_id)) as running,
      (select coalesce(sum(r.tokens), 0) from budget_reservations r
        where r.user_id = ${userId} and r.day = t.day and r.expires_at > now()
          and exists (select 1 from api_processes p where p.id = r.owner_id)) as held
    from today t
    left join budget_accounts a on a.user_id = ${userId}
    left join budget_days d on d.user_id = ${userId} and d.day = t.day`;
  if (!row) throw new Error("the budget read returned no row");
  const overrides: BudgetOverrides = {
    dailyTokens: numberOrNull(row.daily_tokens),
    turnsPerMinute: row.turns_per_minute,
    concurrentRuns: row.concurrent_runs,
  };
  const { defaults } = options;
  return {
    limits: {
      dailyTokens: overrides.dailyTokens ?? defaults.dailyTokens,
      turnsPerMinute: overrides.turnsPerMinute ?? defaults.turnsPerMinute,
      concurrentRuns: overrides.concurrentRuns ?? defaults.concurrentRuns,
    },
    overrides,
    day: row.day,
    resetsAt: dateOrNull(row.resets_at)!,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    costUsd: Number(row.cost_usd),
    turns: row.turns,
    running: Number(row.running),
    heldTokens: Number(row.held),
  };
}

/**
 * Sets a user's own limits: a number (0: unlimited) overrides the default, null returns that
 * limit to the default, and a limit not named is left as it is.
 */
export async function setBudgetOverrides(
  sql: Queryable,
  userId: string,
  change: Partial<BudgetOverrides>,
): Promise<void> {
  const given = (key: keyof BudgetOverrides) => key in change;
  await sql`
    insert into budget_accounts (user_id, daily_tokens, turns_per_minute, concurrent_runs)
    values (${userId}, ${change.dailyTokens ?? null}, ${change.turnsPerMinute ?? null},
      ${change.concurrentRuns ?? null})
    on conflict (user_id) do update set
      daily_tokens = case when ${given("dailyTokens")} then excluded.daily_tokens
        else budget_accounts.daily_tokens end,
      turns_per_minute = case when ${given("turnsPerMinute")} then excluded.turns_per_minute
        else budget_accounts.turns_per_minute end,
      concurrent_runs = case when ${given("concurrentRuns")} then excluded.concurrent_runs
        else budget_accounts.concurrent_runs end,
      updated_at = now()`;
}
