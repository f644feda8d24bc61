/**
 * Scenario 1: what a chat turn costs on top of the model. At 1, 10 and 100 concurrent
 * sessions: chat → first `delta` over the WebSocket, and the model's own time to first token
 * measured directly at the same concurrency; also last `delta` → `run.completed`. The same
 * turns against the floor (bench/floor/relay.ts: one write, one model call, the socket) give
 * what the stack adds as a multiple of the least any such relay adds.
 */
import { probeModel } from "../lib/model-probe.ts";
import { added, type Summary, summarize } from "../lib/stats.ts";
import { closeAll, openSockets, type ScenarioContext, tally } from "./context.ts";

export const chatText = "hello coach";

export type ChatLevel = {
  concurrency: number;
  turns: number;
  failedTurns: number;
  failures: Record<string, number>;
  firstDeltaMs: Summary;
  modelTtftMs: Summary;
  addedMs: { p50: number; p95: number; p99: number };
  lastTokenToCompletedMs: Summary;
  turnMs: Summary;
  floor: { firstDeltaMs: Summary; addedMs: { p50: number; p95: number; p99: number } };
  /** added p50 / the floor's added p50. */
  timesFloor: number;
};

/** `concurrency` sessions each sending `turnsPerSession` turns (after a warm-up) to `wsUrl`. */
async function turnsAgainst(
  ctx: ScenarioContext,
  wsUrl: string,
  concurrency: number,
  turnsPerSession: number,
) {
  const { profile } = ctx;
  const deadline = performance.now() + profile.chatLatency.levelTimeMs;
  const inTime = () => ctx.alive() && performance.now() < deadline;
  const sockets = await openSockets({ ...ctx, wsUrl }, `latency${concurrency}`, concurrency);
  const firstDelta: number[] = [];
  const tail: number[] = [];
  const turnMs: number[] = [];
  const failures: string[] = [];
  let turns = 0;
  try {
    // Warm-up: the first turn also creates the session; not what a steady chat feels like.
    await Promise.all(sockets.map((socket) => socket.turn(chatText, profile.turnTimeoutMs)));
    await Promise.all(
      sockets.map(async (socket) => {
        for (let index = 0; index < turnsPerSession && inTime(); index++) {
          const result = await socket.turn(chatText, profile.turnTimeoutMs);
          turns += 1;
          if (!result.ok || result.deltas === 0) {
            failures.push(result.ok ? "no delta" : result.reason);
            continue;
          }
          firstDelta.push(result.firstDeltaMs);
          tail.push(result.completedMs - result.lastDeltaMs);
          turnMs.push(result.completedMs);
        }
      }),
    );
  } finally {
    closeAll(sockets);
  }
  return { firstDelta, tail, turnMs, failures, turns };
}

async function level(ctx: ScenarioContext, concurrency: number, turnsPerSession: number) {
  const { profile } = ctx;
  const { firstDelta, tail, turnMs, failures, turns } = await turnsAgainst(
    ctx,
    ctx.wsUrl,
    concurrency,
    turnsPerSession,
  );
  const floor = await turnsAgainst(ctx, ctx.stack.floorWsUrl, concurrency, turnsPerSession);
  const modelDeadline = performance.now() + profile.chatLatency.levelTimeMs;
  const ttft: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (
        let index = 0;
        index < turnsPerSession && ctx.alive() && performance.now() < modelDeadline;
        index++
      ) {
        const timing = await probeModel(ctx.stack.modelBaseUrl, chatText, profile.turnTimeoutMs);
        if (timing.ok) ttft.push(timing.ttftMs);
      }
    }),
  );
  const firstDeltaMs = summarize(firstDelta);
  const modelTtftMs = summarize(ttft);
  const floorFirstDelta = summarize(floor.firstDelta);
  const floorAdded = added(floorFirstDelta, modelTtftMs);
  const addedMs = added(firstDeltaMs, modelTtftMs);
  const result: ChatLevel = {
    concurrency,
    turns,
    failedTurns: failures.length,
    failures: tally(failures),
    firstDeltaMs,
    modelTtftMs,
    addedMs,
    lastTokenToCompletedMs: summarize(tail),
    turnMs: summarize(turnMs),
    floor: { firstDeltaMs: floorFirstDelta, addedMs: floorAdded },
    timesFloor: Math.round((addedMs.p50 / Math.max(floorAdded.p50, 0.01)) * 10) / 10,
  };
  ctx.log(
    `chat latency c=${concurrency}: ${turns} turns, first delta p50 ${firstDeltaMs.p50.toFixed(1)} ms ` +
      `(model ${modelTtftMs.p50.toFixed(1)} ms), added ${addedMs.p50.toFixed(1)} ms = ` +
      `${result.timesFloor}x the floor's ${floorAdded.p50.toFixed(2)} ms, ${failures.length} failed`,
  );
  return result;
}

export async function chatLatency(ctx: ScenarioContext) {
  const levels: ChatLevel[] = [];
  for (const { concurrency, turnsPerSession } of ctx.profile.chatLatency.levels) {
    if (!ctx.alive()) break;
    levels.push(await level(ctx, concurrency, turnsPerSession));
  }
  return { text: chatText, levels };
}
