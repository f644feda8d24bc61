/** The `bun run chaos` entry: flags, the run, the report; exit 0 only with no violation. */
import { join } from "node:path";
import { chaosUsage, parseChaosFlags } from "./cli.ts";
import { formatReport, writeResult } from "./report.ts";
import { runChaos } from "./run.ts";

const flags = parseChaosFlags(process.argv.slice(2));
if (flags === "help") {
  console.log(chaosUsage);
  process.exit(0);
}
if ("error" in flags) {
  console.error(`${flags.error}\n${chaosUsage}`);
  process.exit(2);
}
const started = new Date();
const result = await runChaos({
  ...flags,
  log: (line) => console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(1)} s] ${line}`),
});
const out = flags.out ?? join(import.meta.dir, "results", `chaos-${flags.seed}.json`);
writeResult(out, result);
console.log(formatReport(result));
console.log(`result: ${out}`);
process.exit(result.ok ? 0 : 1);
