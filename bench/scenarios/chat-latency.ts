/**
 * Scenario 1: what a chat turn costs on top of the model. At 1, 10 and 100 concurrent
 * sessions: chat → first `delta` over the WebSocket less the model's own time to first token
 * (measured directly, one caller), and last `delta` → `run.completed`. The same turns against
 * two references, in alternating rounds, give what the stack adds as multiples of the least
 * such relays add: the floor (bench/floor/relay.ts: one write, one model call, the socket)
 * and the same relay calling the model through the Agents SDK (the SDK's floor). Each
 * relay's CPU per turn is read from its processes around its own rounds.
 */
import { cpuSeconds } from "@trainer2/shared/processes";
import type { BenchSocket } from "../lib/bench-socket.ts";
import { probeModel } from "../lib/model-probe.ts";
import { added, type Summary, summarize, times } from "../lib/stats.ts";
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
  /** The floor through the Agents SDK; its added p50 / the floor's. */
  sdkFloor: {
    firstDeltaMs: Summary;
    addedMs: { p50: number; p95: number; p99: number };
    timesFloor: number;
  };
  /** CPU time per measured turn: api + agent for ours, the relay's process for each floor. */
  cpuPerTurnMs: { ours: number; floor: number; sdkFloor: number };
};

type Samples = {
  firstDelta: number[];
  tail: number[];
  turnMs: number[];
  failures: string[];
  cpuSeconds: number;
};
const noSamples = (): Samples => ({
  firstDelta: [],
  tail: [],
  turnMs: [],
  failures: [],
  cpuSeconds: 0,
});

/** One of the relays measured side by side: where its sockets go, its CPU, what it measured. */
type Target = {
  ctx: ScenarioContext;
  cpu: () => number;
  sockets: BenchSocket[];
  samples: Samples;
};

/** Each socket of `target` sends `turns` turns, one after another, all sockets at once. */
async function turnsOn(target: Target, turns: number, inTime: () => boolean, into: Samples) {
  const cpuBefore = target.cpu();
  await Promise.all(
    target.sockets.map(async (socket) => {
      for (let index = 0; index < turns && inTime(); index++) {
        const result = await socket.turn(chatText, target.ctx.profile.turnTimeoutMs);
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
  into.cpuSeconds += target.cpu() - cpuBefore;
}

/** Rounds of turns alternate between the stack and the floors, so drift in a noisy machine's
 * load falls on all alike rather than on whichever ran last. */
const rounds = 5;

/**
 * `concurrency` sessions on the stack and as many on each floor, each sending
 * `turnsPerSession` turns after a warm-up turn (which also creates the session: not what a
 * steady chat feels).
 */
async function measuredTurns(ctx: ScenarioContext, concurrency: number, turnsPerSession: number) {
  const deadline = performance.now() + ctx.profile.chatLatency.levelTimeMs;
  const inTime = () => ctx.alive() && performance.now() < deadline;
  const { stack } = ctx;
  const { floor, sdkFloor } = await stack.floors();
  /** A relay's sockets go to `wsUrl`; its CPU is that of `pids`' processes. */
  const relay = (wsUrl: string, pids: number[]): Target => ({
    ctx: { ...ctx, wsUrl },
    cpu: () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    sockets: [],
    samples: noSamples(),
  });
  const targets = {
    ours: relay(ctx.wsUrl, [stack.api.pid, stack.agent.pid]),
    floor: relay(floor.wsUrl, [floor.service.pid]),
    sdkFloor: relay(sdkFloor.wsUrl, [sdkFloor.service.pid]),
  };
  const all = Object.values(targets);
  try {
    for (const target of all)
      target.sockets = await openSockets(target.ctx, `latency${concurrency}`, concurrency);
    for (const target of all) await turnsOn(target, 1, () => true, noSamples());
    const perRound = Math.max(1, Math.ceil(turnsPerSession / rounds));
    for (let sent = 0; sent < turnsPerSession && inTime(); sent += perRound) {
      const turns = Math.min(perRound, turnsPerSession - sent);
      for (const target of all) await turnsOn(target, turns, inTime, target.samples);
    }
  } finally {
    for (const target of all) closeAll(target.sockets);
  }
  return {
    ours: targets.ours.samples,
    floor: targets.floor.samples,
    sdkFloor: targets.sdkFloor.samples,
  };
}

/** CPU milliseconds per measured turn (CPU time is read in 10 ms ticks: few turns, rough). */
const cpuPerTurnMs = (samples: Samples) =>
  Math.round((samples.cpuSeconds * 1000 * 100) / Math.max(1, samples.firstDelta.length)) / 100;

/** The model's own time to first token at `concurrency` callers, measured directly. */
export async function modelTtft(ctx: ScenarioContext, concurrency: number, perCaller: number) {
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
  const { ours, floor, sdkFloor } = await measuredTurns(ctx, concurrency, turnsPerSession);
  const firstDeltaMs = summarize(ours.firstDelta);
  const floorFirstDelta = summarize(floor.firstDelta);
  const sdkFirstDelta = summarize(sdkFloor.firstDelta);
  // Both relays stand in front of the same model: what each adds is its first delta less the
  // model's own TTFT with one caller (with many callers the probe's own client dominates it).
  const floorAdded = added(floorFirstDelta, modelAlone);
  const addedMs = added(firstDeltaMs, modelAlone);
  const sdkAdded = added(sdkFirstDelta, modelAlone);
  const timesFloor = (p50: number) => times(p50, floorAdded.p50);
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
    timesFloor: timesFloor(addedMs.p50),
    sdkFloor: {
      firstDeltaMs: sdkFirstDelta,
      addedMs: sdkAdded,
      timesFloor: timesFloor(sdkAdded.p50),
    },
    cpuPerTurnMs: {
      ours: cpuPerTurnMs(ours),
      floor: cpuPerTurnMs(floor),
      sdkFloor: cpuPerTurnMs(sdkFloor),
    },
  };
  ctx.log(
    `chat latency c=${concurrency}: ${turns} turns, first delta p50 ${firstDeltaMs.p50.toFixed(1)} ms, ` +
      `added ${addedMs.p50.toFixed(1)} ms = ${result.timesFloor}x the floor's ` +
      `${floorAdded.p50.toFixed(2)} ms (the SDK's floor ${sdkAdded.p50.toFixed(2)} ms = ` +
      `${result.sdkFloor.timesFloor}x), CPU/turn ${result.cpuPerTurnMs.ours} / ` +
      `${result.cpuPerTurnMs.floor} / ${result.cpuPerTurnMs.sdkFloor} ms, ` +
      `${ours.failures.length} failed`,
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
