/**
 * `bun run bench [--quick | --smoke] [--out <dir>] [--only coldStart,chatLatency,…]`: starts the whole
 * stack as child processes on 127.0.0.1, runs the scenarios of issue 8, stops everything,
 * and writes `<out>/<ISO date-time>.json` and `.svg` plus a Markdown table on stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killAllChildrenNow, stopAllChildren } from "@trainer2/shared/processes";
import { closeAllStacks } from "@trainer2/testkit";
import { baseChildEnv, readBenchEnv } from "./env.ts";
import { benchUsage, parseFlags, scenarioNames } from "./lib/cli.ts";
import { machineFacts } from "./lib/machine.ts";
import { fullProfile, quickProfile, smokeProfile } from "./lib/profile.ts";
import { markdownTable } from "./lib/report.ts";
import { type PartialResults, partialResultsSchema, resultsSchema } from "./lib/results.ts";
import { type Stack, startStack } from "./lib/stack.ts";
import { summarize } from "./lib/stats.ts";
import { chartSvg } from "./lib/svg.ts";
import { apiWorkers } from "./scenarios/api-workers.ts";
import { chatWithBudgets } from "./scenarios/budget-cost.ts";
import { capacityChat } from "./scenarios/capacity-chat.ts";
import { capacityIdle } from "./scenarios/capacity-idle.ts";
import { chatLatency } from "./scenarios/chat-latency.ts";
import { chatWithoutCheckpoints } from "./scenarios/checkpoint-cost.ts";
import type { ScenarioContext } from "./scenarios/context.ts";
import { devDefault } from "./scenarios/dev-default.ts";
import { http } from "./scenarios/http.ts";
import { streaming } from "./scenarios/streaming.ts";

const log = (line: string) => console.error(`[bench] ${line}`);

let stopping: string | undefined;
let stack: Stack | undefined;

async function teardown() {
  await stack?.stop().catch(() => {});
  // A stack stopped half-way through its start has no handle here yet.
  await closeAllStacks();
  await stopAllChildren();
}

function abort(reason: string, code: number) {
  if (stopping) return;
  stopping = reason;
  log(`stopping: ${reason}`);
  void teardown().finally(() => process.exit(code));
}

async function main() {
  const flags = parseFlags(Bun.argv.slice(2));
  if (flags.help) {
    console.log(benchUsage);
    return;
  }
  const env = readBenchEnv();
  const profile = flags.smoke ? smokeProfile : flags.quick ? quickProfile : fullProfile;
  // A smoke run is a quick one made smaller: its results say quick, never to be compared.
  const quick = flags.quick || flags.smoke;
  const outDir = flags.out ?? join(import.meta.dir, "results");
  const startedAt = new Date();
  const deadline = setTimeout(
    () => abort(`the run exceeded its ${profile.deadlineMs / 1000} s limit`, 1),
    profile.deadlineMs,
  );
  process.on("SIGINT", () => abort("interrupted", 130));
  process.on("SIGTERM", () => abort("terminated", 143));
  process.on("exit", killAllChildrenNow);

  stack = await startStack({
    databaseUrl: env.DATABASE_URL,
    env: baseChildEnv(env),
    coldStartSamples: flags.only.includes("coldStart") ? profile.coldStart.samples : 1,
    log,
  });
  const ctx: ScenarioContext = {
    stack,
    profile,
    wsUrl: `${stack.apiUrl.replace(/^http/, "ws")}/realtime`,
    log,
    alive: () => stopping === undefined,
  };
  const scenarios: PartialResults["scenarios"] = {};
  if (flags.only.includes("coldStart"))
    scenarios.coldStart = {
      samples: stack.coldStart.apiMs.length,
      apiMs: summarize(stack.coldStart.apiMs),
      agentMs: summarize(stack.coldStart.agentMs),
    };
  if (flags.only.includes("chatLatency")) scenarios.chatLatency = await chatLatency(ctx);
  if (flags.only.includes("streaming")) scenarios.streaming = await streaming(ctx);
  if (flags.only.includes("http")) scenarios.http = await http(ctx);
  if (flags.only.includes("capacity")) {
    const idle = await capacityIdle(ctx);
    const chat = await capacityChat(ctx);
    const chatWithoutCheckpoint = await chatWithoutCheckpoints(ctx);
    const budgetsOn = await chatWithBudgets(ctx);
    scenarios.capacity = { idle, chat, chatWithoutCheckpoint, chatWithBudgets: budgetsOn };
    // The embedded database serves one api process (its LISTEN/NOTIFY does not cross
    // connections, and the api runs one process on it): several need DATABASE_URL.
    if (flags.apiWorkers > 1 && stack.db.kind === "embedded")
      log(`api workers: skipped, the embedded database serves one api process (set DATABASE_URL)`);
    else if (flags.apiWorkers > 1) scenarios.apiWorkers = await apiWorkers(ctx, flags.apiWorkers);
  }
  if (flags.only.includes("devDefault")) {
    const compared = await devDefault(ctx, baseChildEnv(env));
    if (compared) scenarios.devDefault = compared;
  }
  if (stopping) throw new Error(`stopped early: ${stopping}`);

  const database = stack.db.kind;
  await teardown();
  clearTimeout(deadline);
  const draft = {
    schemaVersion: 1 as const,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    machine: machineFacts(database),
    scenarios,
  };
  const complete = flags.only.length === scenarioNames.length;
  const results = complete ? resultsSchema.parse(draft) : partialResultsSchema.parse(draft);
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  const jsonPath = join(outDir, `${stamp}${quick ? "-quick" : ""}.json`);
  const svgPath = jsonPath.replace(/\.json$/, ".svg");
  // Readable, but each number array (percentile curves) on one line to keep files small.
  const json = JSON.stringify(results, null, 2).replace(
    /\[\s+([-\d.,\s]*?)\s+\]/g,
    (_, inner) => `[${String(inner).replace(/\s+/g, " ")}]`,
  );
  writeFileSync(jsonPath, `${json}\n`);
  writeFileSync(svgPath, chartSvg(results));
  log(`wrote ${jsonPath}`);
  log(`wrote ${svgPath}`);
  console.log(markdownTable(results));
  const loads = [
    results.scenarios.capacity?.chat,
    results.scenarios.capacity?.chatWithoutCheckpoint,
    results.scenarios.capacity?.chatWithBudgets,
  ];
  const failed = loads.some((load) => load && (load.failedTurns > 0 || !load.db.matches));
  if (failed) log("capacity: failed turns or a database mismatch (see the table)");
}

main().then(
  () => process.exit(0),
  async (error) => {
    log(`error: ${(error as Error).stack ?? error}`);
    await teardown();
    process.exit(1);
  },
);
