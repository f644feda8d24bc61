/**
 * The api's budget counters (api/src/budgets/): turns refused by the limit they hit, and the
 * tokens turns reserved before the model was called, used as the agent reported, and what
 * that is estimated to cost (MODEL_PRICES). Registered by `createMetrics` (metrics.ts), so the
 * Grafana dashboard's queries are checked against them like every other name.
 */
import { Counter, type Registry } from "prom-client";
import type { BudgetLimit } from "./wire.ts";

export const budgetMetricNames = {
  budgetRefusals: "budget_refusals_total",
  budgetReservedTokens: "budget_reserved_tokens_total",
  budgetUsedTokens: "budget_used_tokens_total",
  budgetCost: "budget_cost_usd_total",
} as const;

export type BudgetMetrics = ReturnType<typeof createBudgetMetrics>;

export function createBudgetMetrics(registry: Registry) {
  const registers = [registry];
  const budgetRefusals = new Counter({
    name: budgetMetricNames.budgetRefusals,
    help: "Chat turns refused before any model call, by the budget limit they hit.",
    labelNames: ["limit"] as const,
    registers,
  });
  const budgetReservedTokens = new Counter({
    name: budgetMetricNames.budgetReservedTokens,
    help: "Model tokens chat turns reserved before calling the agent (the estimate).",
    registers,
  });
  const budgetUsedTokens = new Counter({
    name: budgetMetricNames.budgetUsedTokens,
    help: "Model tokens chat turns used, as the agent reported, by direction (input, output).",
    labelNames: ["direction"] as const,
    registers,
  });
  const budgetCost = new Counter({
    name: budgetMetricNames.budgetCost,
    help: "Estimated USD of the tokens chat turns used (MODEL_PRICES), by model.",
    labelNames: ["model"] as const,
    registers,
  });
  return {
    budgetRefusals,
    budgetReservedTokens,
    budgetUsedTokens,
    budgetCost,
    recordRefusal(limit: BudgetLimit) {
      budgetRefusals.inc({ limit });
    },
    recordReserved(tokens: number) {
      if (tokens > 0) budgetReservedTokens.inc(tokens);
    },
    recordUsed(usage: { inputTokens: number; outputTokens: number }) {
      if (usage.inputTokens > 0) budgetUsedTokens.inc({ direction: "input" }, usage.inputTokens);
      if (usage.outputTokens > 0) budgetUsedTokens.inc({ direction: "output" }, usage.outputTokens);
    },
    recordCost(model: string, usd: number) {
      if (usd > 0) budgetCost.inc({ model }, usd);
    },
  };
}
