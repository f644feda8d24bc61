/**
 * Budgets of a run, whatever its entrance (a chat turn, a regenerate, a resume): reserve
 * before the agent is called, extend before each further model call, settle after, whatever
 * the ending. A run's reservation is checked and taken in one round trip, alongside the other
 * reads of its first round (realtime/run-lifecycle.ts); a refusal is raised before anything is
 * stored and before the agent is called, and a run that is not stored after all (busy, a
 * replay) gives its reservation back. A run going on to another model call (a tool round)
 * extends its reservation to what it reported and the next call, or is stopped. The
 * settlement is one statement beside the answer's final write, charging every model call,
 * reported or estimated (realtime/run-meter.ts). A reservation a run never settles (its
 * process died) is charged by the sweep or when next met (migration 0008), and expires anyway
 * after the longest a run may take.
 *
 * With budgets off (every BUDGET_* default at 0) nothing touches the database: the turn's
 * span and the metrics still get the usage and its cost.
 */
import type { Sql } from "@trainer2/db";
import {
  budgetToday,
  extendBudget,
  releaseBudget,
  reserveBudget,
  settleBudget,
} from "@trainer2/db/queries/budgets";
import { type AppError, isInfrastructureFailure } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import { costUsd, priceOf } from "@trainer2/shared/prices";
import type { Span } from "@trainer2/shared/telemetry";
import type { Budget, Usage } from "@trainer2/shared/wire";
import { refusalError } from "./refusal.ts";
import { type BudgetSettings, budgetsOn } from "./settings.ts";

/** As many earlier turns as the agent is sent (historyItems' cap in db/queries/messages.ts). */
const historyTurns = 20;

export type TurnToReserve = {
  userId: string;
  runId: string;
  /** The session it continues; none when the turn starts one. */
  sessionId?: string | undefined;
  text: string;
  /**
   * The chat frame's id (a frame already stored is answered by its replay, not held); null
   * for a run that is no new frame (a resume), which is always judged.
   */
  clientMsgId: string | null;
  /** The history the agent is sent is the one before this seq (a regenerate, a resume). */
  beforeSeq?: number | undefined;
  /** Takes a turn of the minute: a chat turn and a regenerate do, a resume does not. */
  countsAsTurn: boolean;
  span: Span;
};

/** What a run is settled from: the Run of realtime/run.ts has all of it. */
export type RunToSettle = {
  runId: string;
  userId: string;
  span: Span;
  /**
   * What the run is charged: every model call, as reported, or estimated where nothing was
   * reported (realtime/run-meter.ts); none when no model call was made.
   */
  usage: Usage | undefined;
  /** The part of `usage` that is an estimate (0 when everything was reported). */
  estimatedTokens?: number;
};

/** A run going on to another model call (budgets.extend). */
export type RunToExtend = {
  runId: string;
  reported: { inputTokens: number; outputTokens: number };
  reportedChars: number;
  nextCallTokens: number;
};

/** What a turn's check left: a refusal to raise, or a reservation to give back if unused. */
export type BudgetHold = {
  /** Throws `budget_exceeded` when the turn was refused: before anything is stored. */
  allow(): void;
  /** The turn was not stored after all: its reservation and turn of the minute go back. */
  release(): Promise<void>;
  /** The estimate of one model call's input the reservation made; none when nothing is held. */
  readonly inputTokens?: number;
};

export type Budgets = {
  readonly enabled: boolean;
  /** The cap on each model answer, sent with every /run. */
  readonly maxOutputTokens: number;
  /** Checks and reserves the turn in one round trip; a refusal is held, not thrown. */
  reserve(turn: TurnToReserve): Promise<BudgetHold>;
  /** Once the run has ended: settles it to what it used. Never throws. */
  settle(run: RunToSettle): Promise<void>;
  /**
   * A run going on to another model call: false when the day has no room left for it (the run
   * is then stopped). Never throws: a database that cannot be reached lets the run go on (its
   * end is settled all the same).
   */
  extend(run: RunToExtend): Promise<boolean>;
  /** What the state panel shows: today's tokens, when a daily limit applies. */
  today(userId: string): Promise<Budget | null>;
};

export type BudgetDeps = {
  sql: Sql;
  settings: BudgetSettings;
  metrics: Metrics;
  logger: Logger;
  /** This api process: its reservations end with it. */
  processId: string;
  /** A reservation nobody settles holds at most this long (the longest a run may take, and some). */
  reservationTtlMs: number;
  /** How long a settlement is retried while the database cannot be reached. */
  retryForMs: number;
  now: () => number;
};

const nothingHeld: BudgetHold = { allow() {}, release: async () => {} };

export function createBudgets(deps: BudgetDeps): Budgets {
  const { settings, metrics } = deps;
  const enabled = budgetsOn(settings);
  return {
    enabled,
    maxOutputTokens: settings.maxOutputTokens,
    async reserve(turn) {
      if (!enabled) return nothingHeld;
      const outcome = await reserveBudget(deps.sql, {
        userId: turn.userId,
        runId: turn.runId,
        ownerId: deps.processId,
        sessionId: turn.sessionId,
        clientMsgId: turn.clientMsgId,
        inputChars: turn.text.length,
        maxOutputTokens: settings.maxOutputTokens,
        defaults: settings.defaults,
        timeZone: settings.timeZone,
        ttlMs: deps.reservationTtlMs,
        historyTurns,
        beforeSeq: turn.beforeSeq,
        countsAsTurn: turn.countsAsTurn,
      });
      turn.span.setAttribute("chat.budget.reserved_tokens", outcome.reservedTokens);
      if (outcome.refused === null)
        return {
          allow() {},
          release: () => release(deps, turn.runId),
          inputTokens: outcome.inputTokens,
        };
      metrics.recordRefusal(outcome.refused);
      turn.span.setAttribute("chat.budget.refused", outcome.refused);
      const refusal: AppError = refusalError(outcome, settings.timeZone, turn.clientMsgId);
      return {
        allow() {
          throw refusal;
        },
        release: async () => {},
      };
    },
    async settle(run) {
      const usage = run.usage ?? { inputTokens: 0, outputTokens: 0 };
      const cost = estimatedCost(settings, usage);
      observeUsage(run.span, metrics, usage, cost);
      if (run.estimatedTokens)
        run.span.setAttribute("chat.usage.estimated_tokens", run.estimatedTokens);
      if (!enabled) return;
      try {
        const settled = await whileUnreachable(deps, () =>
          settleBudget(deps.sql, {
            runId: run.runId,
            userId: run.userId,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            costUsd: cost ?? 0,
            timeZone: settings.timeZone,
          }),
        );
        if (settled.reservedTokens !== null) metrics.recordReserved(settled.reservedTokens);
        run.span.setAttribute("chat.budget.used_today_tokens", settled.usedThatDay);
      } catch (error) {
        // The reservation expires by itself; what the run used is not charged.
        deps.logger.error("could not settle a turn's budget", { runId: run.runId, error });
      }
    },
    async extend(run) {
      if (!enabled) return true;
      try {
        return await extendBudget(deps.sql, {
          runId: run.runId,
          reportedInput: run.reported.inputTokens,
          reportedOutput: run.reported.outputTokens,
          reportedChars: run.reportedChars,
          nextCallTokens: run.nextCallTokens,
          dailyTokens: settings.defaults.dailyTokens,
        });
      } catch (error) {
        deps.logger.warn("could not extend a run's reservation", { runId: run.runId, error });
        return true;
      }
    },
    async today(userId) {
      if (!enabled) return null;
      const today = await budgetToday(deps.sql, userId, {
        defaults: settings.defaults,
        timeZone: settings.timeZone,
      });
      if (today.limits.dailyTokens <= 0) return null;
      return {
        dailyTokens: today.limits.dailyTokens,
        usedTokens: today.inputTokens + today.outputTokens,
        resetsAt: today.resetsAt.toISOString(),
      };
    },
  };
}

/** Never throws: a reservation that cannot be given back expires by itself. */
async function release(deps: BudgetDeps, runId: string): Promise<void> {
  await releaseBudget(deps.sql, runId).catch((error) =>
    deps.logger.warn("could not give back an unused reservation", { runId, error }),
  );
}

/** USD for this usage at the model's price; undefined when the model has none. */
function estimatedCost(settings: BudgetSettings, usage: Usage): number | undefined {
  const price = priceOf(settings.prices, usage.model);
  return price ? costUsd(usage, price) : undefined;
}

function observeUsage(span: Span, metrics: Metrics, usage: Usage, cost: number | undefined) {
  span.setAttributes({
    "chat.usage.input_tokens": usage.inputTokens,
    "chat.usage.output_tokens": usage.outputTokens,
    ...(usage.model ? { "chat.usage.model": usage.model } : {}),
    ...(cost === undefined ? {} : { "chat.cost_usd": cost }),
  });
  metrics.recordUsed(usage);
  if (cost !== undefined) metrics.recordCost(usage.model ?? "unknown", cost);
}

/** Tries `work` again with backoff while the database cannot be reached, for a while. */
async function whileUnreachable<T>(deps: BudgetDeps, work: () => Promise<T>): Promise<T> {
  const giveUpAt = deps.now() + deps.retryForMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await work();
    } catch (error) {
      if (!isInfrastructureFailure(error) || deps.now() + delay > giveUpAt) throw error;
      await Bun.sleep(delay);
    }
  }
}
