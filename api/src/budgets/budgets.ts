/**
 * Budgets of a chat turn: reserve before the agent is called, settle after, whatever the
 * ending. A turn's reservation is checked and taken in one round trip inside the turn's own
 * transaction (a refusal rolls the turn back: nothing is stored, no model is called); the
 * settlement is one statement beside the answer's final write. A reservation a run never
 * settles (its process died) holds nothing once the process is gone (the api's sweep removes
 * its row) and expires anyway after the longest a run may take.
 *
 * With budgets off (every BUDGET_* default at 0) nothing touches the database: the turn's
 * span and the metrics still get the usage and its cost.
 */
import type { Sql, TransactionSql } from "@trainer2/db";
import { budgetToday, reserveBudget, settleBudget } from "@trainer2/db/queries/budgets";
import { isInfrastructureFailure } from "@trainer2/shared/errors";
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
  clientMsgId: string;
  span: Span;
};

/** What a run is settled from: the Run of realtime/run.ts has all of it. */
export type RunToSettle = {
  runId: string;
  userId: string;
  span: Span;
  /** The agent's report of what the run used; none when no model call ended. */
  usage: Usage | undefined;
};

export type Budgets = {
  readonly enabled: boolean;
  /** The cap on each model answer, sent with every /run. */
  readonly maxOutputTokens: number;
  /** Inside the turn's transaction: reserves, or throws `budget_exceeded` (roll back). */
  reserve(tx: TransactionSql, turn: TurnToReserve): Promise<void>;
  /** Once the run has ended: settles it to what it used. Never throws. */
  settle(run: RunToSettle): Promise<void>;
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

export function createBudgets(deps: BudgetDeps): Budgets {
  const { settings, metrics } = deps;
  const enabled = budgetsOn(settings);
  return {
    enabled,
    maxOutputTokens: settings.maxOutputTokens,
    async reserve(tx, turn) {
      if (!enabled) return;
      const outcome = await reserveBudget(tx, {
        userId: turn.userId,
        runId: turn.runId,
        ownerId: deps.processId,
        sessionId: turn.sessionId,
        inputChars: turn.text.length,
        maxOutputTokens: settings.maxOutputTokens,
        defaults: settings.defaults,
        timeZone: settings.timeZone,
        ttlMs: deps.reservationTtlMs,
        historyTurns,
      });
      turn.span.setAttribute("chat.budget.reserved_tokens", outcome.reservedTokens);
      if (outcome.refused === null) return;
      metrics.recordRefusal(outcome.refused);
      turn.span.setAttribute("chat.budget.refused", outcome.refused);
      throw refusalError(outcome, settings.timeZone, turn.clientMsgId);
    },
    async settle(run) {
      const usage = run.usage ?? { inputTokens: 0, outputTokens: 0 };
      const cost = estimatedCost(settings, usage);
      observeUsage(run.span, metrics, usage, cost);
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
