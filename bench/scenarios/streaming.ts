/**
 * Scenario 2: the relay. One socket asks for the offline model's long story; tokens per
 * second as they arrive on the socket, and the gap between tokens compared with the gap
 * the model itself leaves (measured directly, same prompt).
 */
import { probeModel } from "../lib/model-probe.ts";
import { type Summary, summarize } from "../lib/stats.ts";
import { closeAll, openSockets, type ScenarioContext, tally } from "./context.ts";

const storyText = "tell me a long story";

export type StreamingResult = {
  turns: number;
  failedTurns: number;
  failures: Record<string, number>;
  tokensPerTurn: number;
  charsPerTurn: number;
  tokensPerSecond: number;
  modelTokensPerSecond: number;
  gapMs: Summary;
  modelGapMs: Summary;
  /** Mean gap per token on the socket minus the model's own mean gap. */
  addedGapMs: number;
};

const gapsOf = (times: number[]) => times.slice(1).map((time, index) => time - times[index]!);
const rate = (tokens: number, spanMs: number) =>
  spanMs > 0 ? Math.round(((tokens - 1) / spanMs) * 1000) : 0;

export async function streaming(ctx: ScenarioContext): Promise<StreamingResult> {
  const { profile } = ctx;
  const deadline = performance.now() + profile.streaming.timeMs;
  const inTime = () => ctx.alive() && performance.now() < deadline;
  const [socket] = await openSockets(ctx, "streaming", 1);
  const gaps: number[] = [];
  const rates: number[] = [];
  const failures: string[] = [];
  let tokens = 0;
  let chars = 0;
  let turns = 0;
  try {
    for (let index = 0; index < profile.streaming.turns && inTime(); index++) {
      const result = await socket!.turn(storyText, profile.turnTimeoutMs, true);
      turns += 1;
      if (!result.ok || !result.deltaTimes || result.deltas < 2) {
        failures.push(result.ok ? "too few deltas" : result.reason);
        continue;
      }
      tokens = result.deltas;
      chars = result.chars;
      gaps.push(...gapsOf(result.deltaTimes));
      rates.push(rate(result.deltas, result.lastDeltaMs - result.firstDeltaMs));
    }
  } finally {
    closeAll([socket!]);
  }
  const modelGaps: number[] = [];
  const modelRates: number[] = [];
  for (let index = 0; index < profile.streaming.turns && ctx.alive(); index++) {
    const timing = await probeModel(ctx.stack.modelBaseUrl, storyText, profile.turnTimeoutMs);
    if (!timing.ok) continue;
    modelGaps.push(...gapsOf(timing.tokenTimes));
    // At zero delay the model may send every token in one chunk: span to the end of its stream.
    modelRates.push(rate(timing.tokenTimes.length, timing.doneMs - timing.ttftMs));
  }
  const gapMs = summarize(gaps);
  const modelGapMs = summarize(modelGaps);
  const median = (values: number[]) => summarize(values).p50;
  const result: StreamingResult = {
    turns,
    failedTurns: failures.length,
    failures: tally(failures),
    tokensPerTurn: tokens,
    charsPerTurn: chars,
    tokensPerSecond: median(rates),
    modelTokensPerSecond: median(modelRates),
    gapMs,
    modelGapMs,
    addedGapMs: Math.round((gapMs.mean - modelGapMs.mean) * 1000) / 1000,
  };
  ctx.log(
    `streaming: ${result.tokensPerSecond} tokens/s on the socket (${tokens} tokens/turn), ` +
      `added gap ${result.addedGapMs} ms/token`,
  );
  return result;
}
