/**
 * HTTP load with wrk when it is installed (the reference figures were taken with
 * `wrk -t2 -c50`): a C load generator takes far less of the shared CPU than a Bun fetch loop,
 * so what is measured is the server. `undefined` when wrk is not on PATH (the caller falls
 * back to its fetch loop and says so).
 */
import { join } from "node:path";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { z } from "zod";
import type { Summary } from "./stats.ts";

const report = z.object({
  requests: z.number(),
  durationUs: z.number(),
  errors: z.number(),
  minUs: z.number(),
  meanUs: z.number(),
  maxUs: z.number(),
  p50Us: z.number(),
  p95Us: z.number(),
  p99Us: z.number(),
  curveUs: z.array(z.number()),
});

export type WrkResult = {
  requests: number;
  errors: number;
  durationMs: number;
  latencyMs: Summary;
};

const ms = (us: number) => Math.round(us) / 1000;

export async function wrk(options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  threads: number;
  seconds: number;
}): Promise<WrkResult | undefined> {
  const binary = Bun.which("wrk");
  if (!binary) return undefined;
  const headerArgs = Object.entries(options.headers).flatMap(([name, value]) => [
    "-H",
    `${name}: ${value}`,
  ]);
  const {
    stdout: out,
    stderr: err,
    code,
  } = await runCommand([
    binary,
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.seconds))}s`,
    "-s",
    join(import.meta.dir, "wrk-report.lua"),
    ...headerArgs,
    options.url,
  ]);
  const line = out.split("\n").find((text) => text.startsWith("WRK_JSON "));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${err.trim() || out.trim()}`);
  const parsed = report.parse(JSON.parse(line.slice("WRK_JSON ".length)));
  return {
    requests: parsed.requests,
    errors: parsed.errors,
    durationMs: Math.round(parsed.durationUs / 1000),
    latencyMs: {
      n: parsed.requests,
      min: ms(parsed.minUs),
      mean: ms(parsed.meanUs),
      p50: ms(parsed.p50Us),
      p95: ms(parsed.p95Us),
      p99: ms(parsed.p99Us),
      max: ms(parsed.maxUs),
      curve: parsed.curveUs.map(ms),
    },
  };
}
