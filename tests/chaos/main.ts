/** The `bun run chaos` entry: flags, the run, the report; exit 0 only with no violation. */
import { join } from "node:path";
import { stopAllChildren } from "@trainer2/shared/processes";
import { chaosUsage, parseChaosFlags } from "./cli.ts";
import { formatReport, writeResult } from "./report.ts";
import { runChaos } from "./run.ts";
import { closeOpenStages } from "./stage.ts";
import { stopAllSupervisors } from "./supervisor.ts";

const flags = parseChaosFlags(process.argv.slice(2));
if (flags === "help") {
  console.log(chaosUsage);
  process.exit(0);
}
if ("error" in flags) {
  console.error(`${flags.error}\n${chaosUsage}`);
  process.exit(2);
}
// Ctrl-C (or a SIGTERM from CI) mid-run: every child, nginx and the Postgres cluster are
// stopped and their temp dirs removed before the process ends; a second signal ends it now.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`chaos: ${signal}; stopping the stack`);
    stopAllSupervisors();
    await closeOpenStages().catch((error) => console.error(error));
    await stopAllChildren();
    process.exit(130);
  });

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
