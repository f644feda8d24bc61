/**
 * Scenario 1: what a chat turn costs on top of the model. At 1, 10 and 100 concurrent
 * sessions: chat → first `delta` over the WebSocket less the model's own time to first token
 * (measured directly, one caller), and last `delta` → `run.completed`. The same turns against
 * the floor (bench/floor/relay.ts: one write, one model call, the socket), in alternating
 * rounds, give what the stack adds as a multiple of the least any such relay adds.
 */
import type { BenchSocket } from "../lib/bench-socket.ts";
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

type Samples = { firstDelta: number[]; tail: number[]; turnMs: number[]; failures: string[] };
const noSamples = (): Samples => ({ firstDelta: [], tail: [], turnMs: [], failures: [] });

/** Each socket sends `turns` turns, one after another, all sockets at once. */
async function turnsOn(
  ctx: ScenarioContext,
  sockets: BenchSocket[],
  turns: number,
  inTime: () => boolean,
  into: Samples,
) {
  await Promise.all(
    sockets.map(async (socket) => {
      for (let index = 0; index < turns && inTime(); index++) {
        const result = await socket.turn(chatText, ctx.profile.turnTimeoutMs);
        if (!result.ok || result.deltas === 0) {
          into.failures.push(result.ok ? "no delta" : result.reason);
          continue;
        }
        into.firstDelta.push(result.firstDeltaMs);
        into.tail.push(result.completedMs - result.lastDeltaMs);
        into.turnMs.push(result.completedMs);
      }
    }),
  );
}

/** Rounds of turns alternate between the stack and the floor, so drift in a noisy machine's
 * load falls on both alike rather than on whichever ran second. */
const rounds = 5;

/**
 * `concurrency` sessions on the stack and as many on the floor, each sending `turnsPerSession`
 * turns after a warm-up turn (which also creates the session: not what a steady chat feels).
 */
async function measuredTurns(ctx: ScenarioContext, concurrency: number, turnsPerSession: number) {
  const deadline = performance.now() + ctx.profile.chatLatency.levelTimeMs;
  const inTime = () => ctx.alive() && performance.now() < deadline;
  const ours = await openSockets(ctx, `latency${concurrency}`, concurrency);
  const floorCtx = { ...ctx, wsUrl: ctx.stack.floorWsUrl };
  const floor = await openSockets(floorCtx, `latency${concurrency}`, concurrency).catch((error) => {
    closeAll(ours);
    throw error;
  });
  const samples = { ours: noSamples(), floor: noSamples() };
  try {
    const warm = noSamples();
    await turnsOn(ctx, ours, 1, () => true, warm);
    await turnsOn(floorCtx, floor, 1, () => true, warm);
    const perRound = Math.max(1, Math.ceil(turnsPerSession / rounds));
    for (let sent = 0; sent < turnsPerSession && inTime(); sent += perRound) {
      const turns = Math.min(perRound, turnsPerSession - sent);
      await turnsOn(ctx, ours, turns, inTime, samples.ours);
      await turnsOn(floorCtx, floor, turns, inTime, samples.floor);
    }
  } finally {
    closeAll(ours);
    closeAll(floor);
  }
  return samples;
}

/** The model's own time to first token at `concurrency` callers, measured directly. */
async function modelTtft(ctx: ScenarioContext, concurrency: number, perCaller: number) {
  const { profile } = ctx;
  const deadline = performance.now() + profile.chatLatency.levelTimeMs;
  const ttft: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (
        let index = 0;
        index < perCaller && ctx.alive() && performance.now() < deadline;
        index++
      ) {
        const timing = await probeModel(ctx.stack.modelBaseUrl, chatText, profile.turnTimeoutMs);
        if (timing.ok) ttft.push(timing.ttftMs);
      }
    }),
  );
  return summarize(ttft);
}

async function level(
  ctx: ScenarioContext,
  concurrency: number,
  turnsPerSession: number,
  modelAlone: Summary,
) {
  const { ours, floor } = await measuredTurns(ctx, concurrency, turnsPerSession);
  const firstDeltaMs = summarize(ours.firstDelta);
  const floorFirstDelta = summarize(floor.firstDelta);
  // Both relays stand in front of the same model: what each adds is its first delta less the
  // model's own TTFT with one caller (with many callers the probe's own client dominates it).
  const floorAdded = added(floorFirstDelta, modelAlone);
  const addedMs = added(firstDeltaMs, modelAlone);
  const turns = ours.firstDelta.length + ours.failures.length;
  const result: ChatLevel = {
    concurrency,
    turns,
    failedTurns: ours.failures.length,
    failures: tally(ours.failures),
    firstDeltaMs,
    modelTtftMs: await modelTtft(ctx, concurrency, turnsPerSession),
    addedMs,
    lastTokenToCompletedMs: summarize(ours.tail),
    turnMs: summarize(ours.turnMs),
    floor: { firstDeltaMs: floorFirstDelta, addedMs: floorAdded },
    timesFloor: Math.round((addedMs.p50 / Math.max(floorAdded.p50, 0.01)) * 10) / 10,
  };
  ctx.log(
    `chat latency c=${concurrency}: ${turns} turns, first delta p50 ${firstDeltaMs.p50.toFixed(1)} ms, ` +
      `added ${addedMs.p50.toFixed(1)} ms = ${result.timesFloor}x the floor's ` +
      `${floorAdded.p50.toFixed(2)} ms, ${ours.failures.length} failed`,
  );
  return result;
}

export async function chatLatency(ctx: ScenarioContext) {
  const modelAlone = await modelTtft(ctx, 1, ctx.profile.chatLatency.modelProbes);
  const levels: ChatLevel[] = [];
  for (const { concurrency, turnsPerSession } of ctx.profile.chatLatency.levels) {
    if (!ctx.alive()) break;
    levels.push(await level(ctx, concurrency, turnsPerSession, modelAlone));
  }
  return { text: chatText, modelTtftAloneMs: modelAlone, levels };
}
