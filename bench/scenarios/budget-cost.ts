/**
 * What enforcing budgets costs a turn: the same chat load as the capacity run (budgets off,
 * as by default), against a second api and agent on the same database with budgets on, so
 * every turn reserves with its first reads and settles at its end. Limits are far above the
 * load: nothing is refused, the work is all there is to compare. Compared with the capacity
 * run itself (a warm pair), so the variant is warmed up first.
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
  const target = (domain: string) => ({
    api: variant.api,
    agent: variant.agent,
    wsUrl: `${variant.api.url.replace(/^http/, "ws")}/realtime`,
    domain,
  });
  try {
    // The main pair is warm from the scenarios before; a fresh pair is not. A short load
    // first (not measured) keeps a cold start out of what budgets are said to cost.
    const { variantWarmUpMs } = ctx.profile.capacity;
    const capacity = { ...ctx.profile.capacity, chatTimeMs: variantWarmUpMs };
    if (variantWarmUpMs > 0)
      await capacityChat(
        { ...ctx, profile: { ...ctx.profile, capacity } },
        target("warm.bench.test"),
      );
    return await capacityChat(ctx, target("budgets.bench.test"));
  } finally {
    await variant.stop();
  }
}
