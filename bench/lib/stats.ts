/** Latency summaries: nearest-rank percentiles plus a 21-point curve for the chart. */

export type Summary = {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Values at percentiles 0, 5, 10, … 100 (empty when there are no samples). */
  curve: number[];
};

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: number[]): Summary {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0)
    return { n: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0, curve: [] };
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    min: round(sorted[0]!),
    mean: round(sum / sorted.length),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1)!),
    curve: Array.from({ length: 21 }, (_, index) =>
      round(index === 0 ? sorted[0]! : percentile(sorted, index * 5)),
    ),
  };
}

/** Difference of two summaries' percentiles: what the stack adds on top of the model. */
export function added(outer: Summary, inner: Summary) {
  return {
    p50: round(outer.p50 - inner.p50),
    p95: round(outer.p95 - inner.p95),
    p99: round(outer.p99 - inner.p99),
  };
}

/** Runs `work` for each index with at most `limit` in flight. */
export async function pool<T>(
  count: number,
  limit: number,
  work: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}

export const ms = (start: number) => performance.now() - start;

/** `value` as a multiple of `base`, to one decimal (a base near zero counts as 0.01). */
export const times = (value: number, base: number) =>
  Math.round((value / Math.max(base, 0.01)) * 10) / 10;
