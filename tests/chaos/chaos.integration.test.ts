/**
 * The chaos run, small: the deployed stack, three people for a few seconds and one fault of
 * each kind (each held briefly), then every invariant of `bun run chaos` must hold. The long
 * runs are `bun run chaos` itself (README).
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { faultKinds } from "./faults.ts";
import { formatReport } from "./report.ts";
import { runChaos } from "./run.ts";

setDefaultTimeout(180_000);

test("one fault of each kind under a few people: no invariant violated", async () => {
  const result = await runChaos({ seconds: 8, people: 3, seed: 25, everyKindOnce: true });
  const report = formatReport(result);
  expect(result.faults.map((fault) => fault.kind).sort(), report).toEqual([...faultKinds].sort());
  expect(
    result.faults.filter((fault) => fault.note.startsWith("FAILED")),
    report,
  ).toEqual([]);
  expect(
    result.verdicts.filter((verdict) => verdict.offending.length > 0),
    report,
  ).toEqual([]);
  expect(Object.values(result.actions).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
});
