/**
 * What `bun run eval` prints: one table row per case (case, result, turns, tokens, latency,
 * estimated cost), the totals, then each failure with the expectation that failed and the
 * transcript that failed it.
 */
import type { CaseResult, EvalRun } from "./results.ts";

const integer = new Intl.NumberFormat("en-US");

function cost(usd: number | null): string {
  if (usd === null) return "n/a";
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

function latency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const columns = [
  { title: "case", width: 58, align: "left" },
  { title: "result", width: 6, align: "left" },
  { title: "turns", width: 5, align: "right" },
  { title: "tokens in/out", width: 13, align: "right" },
  { title: "latency", width: 8, align: "right" },
  { title: "cost", width: 9, align: "right" },
] as const;

function row(cells: string[]): string {
  return cells
    .map((cell, index) => {
      const { width, align } = columns[index]!;
      const text = cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
      return align === "left" ? text.padEnd(width) : text.padStart(width);
    })
    .join("  ")
    .trimEnd();
}

function caseRow(result: CaseResult): string {
  return row([
    result.id,
    result.passed ? "pass" : "FAIL",
    String(result.turns),
    `${integer.format(result.tokens.input)}/${integer.format(result.tokens.output)}`,
    latency(result.latencyMs),
    cost(result.costUsd),
  ]);
}

export function table(run: EvalRun): string[] {
  const s = run.summary;
  return [
    row(columns.map((column) => column.title)),
    row(columns.map((column) => "-".repeat(column.width))),
    ...run.cases.map(caseRow),
    "",
    `${s.passed} passed, ${s.failed} failed (${Math.round(s.passRate * 100)}%) · tokens ${integer.format(s.tokens.input)}/${integer.format(s.tokens.output)} · ${latency(s.latencyMs)} · ${cost(s.costUsd)}`,
  ];
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}

export function failureDetails(result: CaseResult): string[] {
  const lines = [`FAIL ${result.id}`];
  for (const failure of result.failures) lines.push(`  ✗ ${failure}`);
  lines.push("  transcript:");
  for (const turn of result.transcript) {
    lines.push(indent(turn.user, "    person:  "));
    for (const call of turn.tools)
      lines.push(`    tool:    ${call.name} ${JSON.stringify(call.args)} → ${call.status}`);
    lines.push(indent(turn.answer || "(no answer)", "    trainer: "));
    if (turn.outcome !== "completed") lines.push(`    (run ${turn.outcome})`);
  }
  return lines;
}

export function header(run: EvalRun): string {
  const model =
    run.model.mode === "offline"
      ? `the offline model (${run.model.api})`
      : `${run.model.name} (${run.model.api})`;
  const judge = run.judge ? `judge ${run.judge}` : "no judge (EVAL_JUDGE_MODEL unset)";
  return `trainer evals: ${run.cases.length} cases on ${model}, ${judge}, instructions ${run.instructionsHash.slice(0, 12)}`;
}
