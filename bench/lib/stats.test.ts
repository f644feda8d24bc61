import { expect, test } from "bun:test";
import { parseFlags, scenarioNames } from "./cli.ts";
import { added, percentile, pool, summarize } from "./stats.ts";

test("percentiles are nearest-rank over the sorted samples", () => {
  const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
  const summary = summarize(samples);
  expect(summary.n).toBe(100);
  expect(summary.min).toBe(1);
  expect(summary.p50).toBe(50);
  expect(summary.p95).toBe(95);
  expect(summary.p99).toBe(99);
  expect(summary.max).toBe(100);
  expect(summary.curve).toHaveLength(21);
  expect(summary.curve[0]).toBe(1);
  expect(summary.curve[20]).toBe(100);
  expect(percentile([7], 99)).toBe(7);
});

test("an empty or non-finite sample set summarises to zeros, never NaN", () => {
  const summary = summarize([Number.NaN, Number.POSITIVE_INFINITY]);
  expect(summary).toMatchObject({ n: 0, p50: 0, p99: 0, mean: 0 });
  expect(summary.curve).toEqual([]);
});

test("added latency is the difference of percentiles", () => {
  expect(added(summarize([10, 20, 30]), summarize([1, 2, 3]))).toEqual({
    p50: 18,
    p95: 27,
    p99: 27,
  });
});

test("pool never runs more than its limit at once and keeps result order", async () => {
  let running = 0;
  let peak = 0;
  const results = await pool(20, 3, async (index) => {
    running += 1;
    peak = Math.max(peak, running);
    await Bun.sleep(1);
    running -= 1;
    return index * 2;
  });
  expect(peak).toBe(3);
  expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index * 2));
});

test("flags are parsed strictly and name what is wrong", () => {
  expect(parseFlags(["--quick", "--out", "/tmp/x"])).toMatchObject({ quick: true, out: "/tmp/x" });
  // With no --only every scenario runs, in the order the report lists them.
  expect(parseFlags([]).only).toEqual([...scenarioNames]);
  expect(scenarioNames).toContain("devDefault");
  expect(parseFlags(["--only", "http,streaming"]).only).toEqual(["http", "streaming"]);
  expect(() => parseFlags(["--only", "nope"])).toThrow(/--only: unknown scenario "nope"/);
  expect(() => parseFlags(["--fast"])).toThrow();
});
