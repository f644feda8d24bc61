/**
 * What enforcing budgets costs a turn: the same chat load as the capacity run (budgets off,
 * as by default), against a second api and agent on the same database with budgets on, so
 * every turn reserves in its transaction and settles at its end. Limits are far above the
 * load: nothing is refused, the work is all there is to compare.
 */
import { type ChatLoadResult, capacityChat } from "./capacity-chat.ts";
import type { ScenarioContext } from "./context.ts";

export const budgetsOnEnv = {
  BUDGET_DAILY_TOKENS: "1000000000",
  BUDGET_TURNS_PER_MINUTE: "100000",
  BUDGET_CONCURRENT_RUNS: "1000",
};

export async function chatWithBudgets(ctx: ScenarioContext): Promise<ChatLoadResult> {
  const variant = await ctx.stack.startVariant(budgetsOnEnv);
  try {
    return await capacityChat(ctx, {
      api: variant.api,
      agent: variant.agent,
      wsUrl: `${variant.api.url.replace(/^http/, "ws")}/realtime`,
      domain: "budgets.bench.test",
    });
  } finally {
    await variant.stop();
  }
}
