/**
 * What saving the answer so far costs: the same chat load as the capacity run, against a
 * second api and agent on the same database whose api never checkpoints
 * (STREAM_CHECKPOINT_MS=0). Compared with the capacity run (checkpoints every 250 ms, the
 * default), the difference in turn latency is the checkpoints' price.
 */
import { type ChatLoadResult, capacityChat } from "./capacity-chat.ts";
import type { ScenarioContext } from "./context.ts";

export async function chatWithoutCheckpoints(ctx: ScenarioContext): Promise<ChatLoadResult> {
  const variant = await ctx.stack.startVariant({ STREAM_CHECKPOINT_MS: "0" });
  try {
    return await capacityChat(ctx, {
      api: variant.api,
      agent: variant.agent,
      wsUrl: `${variant.api.url.replace(/^http/, "ws")}/realtime`,
      domain: "nocheckpoint.bench.test",
    });
  } finally {
    await variant.stop();
  }
}
