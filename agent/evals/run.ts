/**
 * `bun run eval`: the trainer's behaviour suites (`suites/*.eval.ts`) against the real stack
 * with the configured model (the offline model unless OPENAI_API_KEY is set). Prints a table
 * and each failure with its transcript, writes `results/<date>.json`, and exits 1 when a case
 * failed (2 when it could not run at all).
 *
 *   bun run eval [--compare <results.json>] [--only <text>] [--instructions <dir>]
 *                [--api responses|chat_completions] [--out <dir>]
 */
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { EnvError } from "@trainer2/shared/config";
import { closeAllStacks } from "@trainer2/testkit";
import { pushRunMetrics } from "./lib/metrics.ts";
import { failureDetails, header, table } from "./lib/report.ts";
import { compareRuns, readRun, writeRun } from "./lib/results.ts";
import { runEvals } from "./lib/runner.ts";
import { readEvalSettings } from "./lib/settings.ts";

const usage =
  "usage: bun run eval [--compare <results.json>] [--only <text>] [--instructions <dir>] [--api responses|chat_completions] [--out <dir>]";

function options() {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      compare: { type: "string" },
      only: { type: "string" },
      instructions: { type: "string" },
      api: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.api && values.api !== "responses" && values.api !== "chat_completions")
    throw new Error(`--api must be responses or chat_completions, not ${values.api}`);
  return values as typeof values & { api?: "responses" | "chat_completions" };
}

async function main(): Promise<number> {
  const flags = options();
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const settings = readEvalSettings(process.env, flags.api);
  // Read before the run: a wrong path should not cost a whole run.
  const previous = flags.compare ? await readRun(flags.compare) : undefined;
  const run = await runEvals({
    settings,
    ...(flags.instructions ? { instructionsDir: flags.instructions } : {}),
    ...(flags.only ? { only: flags.only } : {}),
  });
  console.log(header(run));
  console.log("");
  for (const line of table(run)) console.log(line);
  for (const result of run.cases.filter((c) => !c.passed)) {
    console.log("");
    for (const line of failureDetails(result)) console.log(line);
  }
  const path = await writeRun(flags.out ?? join(import.meta.dir, "results"), run);
  console.log(`\nresults: ${relative(process.cwd(), path)}`);
  if (previous) {
    console.log(`\ncompared with ${flags.compare}:`);
    for (const line of compareRuns(previous, run)) console.log(line);
  }
  if (settings.otlpEndpoint) {
    await pushRunMetrics(settings.otlpEndpoint, run);
    console.log(`pushed eval_pass_ratio and eval_cases to ${settings.otlpEndpoint}`);
  }
  if (run.cases.length === 0) {
    console.error("no case matched");
    return 2;
  }
  return run.summary.failed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  await closeAllStacks();
  const message =
    error instanceof EnvError || error instanceof Error ? error.message : String(error);
  console.error(`eval: ${message}`);
  process.exitCode = 2;
}
