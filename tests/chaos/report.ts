/** The chaos run's report: a table a person reads, and the JSON result file beside it. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Finding } from "./invariants.ts";
import type { ChaosResult } from "./run.ts";

/** One violation with everything needed to find and replay it. */
export type Violation = Finding & { invariant: string; seed: number };

export function violationsOf(result: ChaosResult): Violation[] {
  return result.verdicts.flatMap((verdict) =>
    verdict.offending.map((finding) => ({
      invariant: verdict.name,
      seed: result.seed,
      ...finding,
    })),
  );
}

const whose = (finding: Finding) =>
  [finding.person, finding.sessionId && `session ${finding.sessionId}`].filter(Boolean).join(", ");

/** Violations per person, and per session within each: where to look first. */
function breakdown(violations: Violation[]): string[] {
  const byPerson = new Map<string, Violation[]>();
  for (const v of violations) {
    const key = v.person ?? "(no person: a process)";
    byPerson.set(key, [...(byPerson.get(key) ?? []), v]);
  }
  const lines = ["  violations by person and session:"];
  for (const [person, found] of [...byPerson].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`    ${person}: ${found.length}`);
    const bySession = new Map<string, string[]>();
    for (const v of found) {
      const session = v.sessionId ?? "(no session)";
      bySession.set(session, [...(bySession.get(session) ?? []), v.invariant.split(" ")[0]!]);
    }
    for (const [session, invariants] of bySession)
      lines.push(
        `      ${session}  invariant ${[...new Set(invariants)].join(", ")} (${invariants.length})`,
      );
  }
  return lines;
}

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
    `  exits nobody asked for (restarted by the supervisor): ${result.crashes.length}`,
    ...result.crashes.map(
      (c) => `      at ${(c.atMs / 1000).toFixed(1).padStart(6)} s  ${c.name} (${c.exit})`,
    ),
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
    for (const finding of verdict.offending.slice(0, shown))
      lines.push(`          ${finding.what}${whose(finding) ? `  [${whose(finding)}]` : ""}`);
    if (verdict.offending.length > shown)
      lines.push(`          … ${verdict.offending.length - shown} more in the result file`);
    for (const note of verdict.notes.slice(0, 3)) lines.push(`          note: ${note}`);
    if (verdict.notes.length > 3) lines.push(`          … ${verdict.notes.length - 3} more notes`);
  }
  const violations = violationsOf(result);
  if (violations.length > 0) lines.push(...breakdown(violations));
  lines.push(
    result.ok ? "chaos: no violation" : `chaos: VIOLATIONS (replay: --seed ${result.seed})`,
  );
  return lines.join("\n");
}

export function writeResult(path: string, result: ChaosResult): void {
  mkdirSync(dirname(path), { recursive: true });
  const json = { ...result, violations: violationsOf(result) };
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}
