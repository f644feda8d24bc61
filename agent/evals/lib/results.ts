/**
 * One eval run as a JSON file (`agent/evals/results/<date>.json`, git-ignored) and what
 * changed since an earlier one (`--compare`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TranscriptTurn } from "./conversation.ts";

export type RubricResult =
  | { score: number; reason: string; passed: boolean }
  | { error: string }
  | { skipped: string };

export type CaseResult = {
  /** `suite/case name`: stable across runs, what `--compare` matches on. */
  id: string;
  suite: string;
  name: string;
  passed: boolean;
  /** Each failed expectation, one sentence each. */
  failures: string[];
  turns: number;
  tokens: { input: number; output: number };
  latencyMs: number;
  /** USD; null when the model's prices are unknown. */
  costUsd: number | null;
  rubric?: RubricResult;
  transcript: TranscriptTurn[];
};

export type EvalRun = {
  startedAt: string;
  finishedAt: string;
  model: { mode: "offline" | "openai"; name: string; api: string };
  instructionsHash: string;
  judge: string | null;
  summary: {
    cases: number;
    passed: number;
    failed: number;
    passRate: number;
    tokens: { input: number; output: number };
    latencyMs: number;
    costUsd: number | null;
  };
  cases: CaseResult[];
};

export function summarize(cases: CaseResult[]): EvalRun["summary"] {
  const passed = cases.filter((c) => c.passed).length;
  const sum = (pick: (c: CaseResult) => number) => cases.reduce((total, c) => total + pick(c), 0);
  const costs = cases.map((c) => c.costUsd);
  return {
    cases: cases.length,
    passed,
    failed: cases.length - passed,
    passRate: cases.length === 0 ? 0 : passed / cases.length,
    tokens: { input: sum((c) => c.tokens.input), output: sum((c) => c.tokens.output) },
    latencyMs: sum((c) => c.latencyMs),
    costUsd: costs.some((cost) => cost === null) ? null : sum((c) => c.costUsd ?? 0),
  };
}

/** Writes `run` as `<dir>/<started at, file-name safe>.json`; returns the path. */
export async function writeRun(dir: string, run: EvalRun): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${run.startedAt.replaceAll(":", "-").replace(".", "-")}.json`);
  await writeFile(path, `${JSON.stringify(run, null, 2)}\n`);
  return path;
}

export async function readRun(path: string): Promise<EvalRun> {
  const run = JSON.parse(await readFile(path, "utf8")) as EvalRun;
  if (!Array.isArray(run.cases) || !run.summary) throw new Error(`${path} is not an eval result`);
  return run;
}

/** Lines saying what changed from `before` to `now`: outcomes first, then totals. */
export function compareRuns(before: EvalRun, now: EvalRun): string[] {
  const lines: string[] = [];
  const old = new Map(before.cases.map((c) => [c.id, c]));
  const ids = new Set(now.cases.map((c) => c.id));
  for (const result of now.cases) {
    const previous = old.get(result.id);
    if (!previous) lines.push(`  new      ${result.id}: ${result.passed ? "pass" : "FAIL"}`);
    else if (previous.passed && !result.passed) lines.push(`  broke    ${result.id}`);
    else if (!previous.passed && result.passed) lines.push(`  fixed    ${result.id}`);
  }
  for (const result of before.cases) if (!ids.has(result.id)) lines.push(`  removed  ${result.id}`);
  if (lines.length === 0) lines.push("  no case changed its outcome");
  const a = before.summary;
  const b = now.summary;
  const delta = (x: number, y: number) => `${y - x >= 0 ? "+" : ""}${Math.round(y - x)}`;
  lines.push(
    `  passed ${a.passed}/${a.cases} → ${b.passed}/${b.cases}; tokens ${delta(a.tokens.input + a.tokens.output, b.tokens.input + b.tokens.output)}; latency ${delta(a.latencyMs, b.latencyMs)} ms`,
  );
  if (before.model.name !== now.model.name)
    lines.push(`  model ${before.model.name} → ${now.model.name}`);
  if (before.instructionsHash !== now.instructionsHash)
    lines.push(
      `  instructions changed: ${before.instructionsHash.slice(0, 12)} → ${now.instructionsHash.slice(0, 12)}`,
    );
  return lines;
}
