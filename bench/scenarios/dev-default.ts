/**
 * The dev default against a real Postgres: the same one-session chat turns on a second stack
 * whose database is the embedded PGlite (in a process of its own, as `bun dev` runs it), in
 * alternating rounds with the main stack. Each stack has its own stand-in model; each side's
 * added time is its first delta less its own model's TTFT alone. Needs DATABASE_URL (the main
 * stack on Postgres); without it there is nothing to compare and the scenario is skipped.
 */

import { startStack } from "../lib/stack.ts";
import { added, summarize, times } from "../lib/stats.ts";
import { chatText, modelTtft } from "./chat-latency.ts";
import { closeAll, openSockets, type ScenarioContext } from "./context.ts";

export async function devDefault(ctx: ScenarioContext, childEnv: Record<string, string>) {
  if (ctx.stack.db.kind !== "postgres") {
    ctx.log("devDefault: skipped (the main stack is on the embedded database; set DATABASE_URL)");
    return undefined;
  }
  const embedded = await startStack({
    databaseUrl: undefined,
    env: childEnv,
    coldStartSamples: 1,
    log: ctx.log,
  });
  const embeddedCtx: ScenarioContext = {
    ...ctx,
    stack: embedded,
    wsUrl: `${embedded.apiUrl.replace(/^http/, "ws")}/realtime`,
  };
  try {
    const [onPostgres] = await openSockets(ctx, "dev-default", 1);
    const [onEmbedded] = await openSockets(embeddedCtx, "dev-default", 1);
    const firstDelta = { postgres: [] as number[], embedded: [] as number[] };
    const turns = ctx.profile.chatLatency.levels[0]?.turnsPerSession ?? 10;
    try {
      await onPostgres!.turn(chatText, ctx.profile.turnTimeoutMs);
      await onEmbedded!.turn(chatText, ctx.profile.turnTimeoutMs);
      for (let index = 0; index < turns && ctx.alive(); index++) {
        for (const [side, socket] of [
          ["postgres", onPostgres!],
          ["embedded", onEmbedded!],
        ] as const) {
          const result = await socket.turn(chatText, ctx.profile.turnTimeoutMs);
          if (result.ok && result.deltas > 0) firstDelta[side].push(result.firstDeltaMs);
        }
      }
    } finally {
      closeAll([onPostgres!, onEmbedded!]);
    }
    const probes = ctx.profile.chatLatency.modelProbes;
    const postgres = added(summarize(firstDelta.postgres), await modelTtft(ctx, 1, probes));
    const onPglite = added(summarize(firstDelta.embedded), await modelTtft(embeddedCtx, 1, probes));
    const ratio = times(onPglite.p50, postgres.p50);
    ctx.log(
      `dev default: added p50 ${onPglite.p50.toFixed(1)} ms on PGlite vs ${postgres.p50.toFixed(1)} ms on Postgres (${ratio}x)`,
    );
    return {
      turns: firstDelta.postgres.length + firstDelta.embedded.length,
      postgresAddedMs: postgres,
      embeddedAddedMs: onPglite,
      embeddedTimesPostgres: ratio,
    };
  } finally {
    await embedded.stop();
  }
}
