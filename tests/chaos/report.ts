/** The chaos run's report: a table a person reads, and the JSON result file beside it. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ChaosResult } from "./run.ts";

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `    ${key.padEnd(34)} ${n}`)
    .join("\n");

/** At most this many offending ids per invariant in the table (the JSON has them all). */
const shown = 10;

export function formatReport(result: ChaosResult): string {
  const byKind: Record<string, number> = {};
  for (const fault of result.faults) byKind[fault.kind] = (byKind[fault.kind] ?? 0) + 1;
  const turns = Object.values(result.actions).reduce((sum, n) => sum + n, 0);
  const lines = [
    `chaos: seed ${result.seed}, ${result.people} people, ${result.seconds} s`,
    `  faults injected: ${result.faults.length}`,
    counts(byKind),
    ...result.faults.map(
      (f) =>
        `      at ${(f.startedMs / 1000).toFixed(1).padStart(6)} s  ${f.kind.padEnd(13)} ${f.note}`,
    ),
    `  actions: ${turns} (sockets opened: ${result.tabs})`,
    counts(result.actions),
    "  outcomes:",
    counts(result.outcomes),
    "  /health changes:",
    ...result.health.map(
      (c) =>
        `      at ${(c.atMs / 1000).toFixed(1).padStart(6)} s  ${c.name.padEnd(8)} ${c.status || "no answer"}`,
    ),
    "  invariants:",
  ];
  for (const verdict of result.verdicts) {
    const pass = verdict.offending.length === 0;
    lines.push(
      `    ${pass ? "PASS" : "FAIL"}  ${verdict.name}${pass ? "" : ` (${verdict.offending.length})`}`,
    );
    for (const id of verdict.offending.slice(0, shown)) lines.push(`          ${id}`);
    if (verdict.offending.length > shown)
      lines.push(`          … ${verdict.offending.length - shown} more in the result file`);
    for (const note of verdict.notes.slice(0, 3)) lines.push(`          note: ${note}`);
    if (verdict.notes.length > 3) lines.push(`          … ${verdict.notes.length - 3} more notes`);
  }
  lines.push(
    result.ok ? "chaos: no violation" : `chaos: VIOLATIONS (replay: --seed ${result.seed})`,
  );
  return lines.join("\n");
}

export function writeResult(path: string, result: ChaosResult): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
}
