/**
 * `bun run bench --smoke` end to end: the real stack as child processes, every scenario,
 * results that parse with the results schema, and a chart. Timings are never asserted.
 * `--smoke` is `--quick` at the smallest counts (bench/lib/profile.ts): the same code paths
 * in a fraction of the time the suite would wait on `--quick`.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { resultsSchema } from "./lib/results.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const repoRoot = join(import.meta.dir, "..");

test("bench --smoke runs the whole stack and writes valid results and a chart", async () => {
  const out = mkdtempSync(join(tmpdir(), "trainer2-bench-"));
  try {
    const { stdout, stderr, code } = await runCommand(
      [process.execPath, "bench/run.ts", "--smoke", "--out", out],
      // SIGTERM lets the bench stop its own children; it also stops itself at 150 s.
      { cwd: repoRoot, timeout: 155_000, killSignal: "SIGTERM" },
    );
    if (code !== 0) console.error(stderr);
    expect(code).toBe(0);
    expect(stdout).toContain("| Scenario | Measure | Result |");

    const files = readdirSync(out);
    const jsonFile = files.find((file) => file.endsWith(".json"));
    const svgFile = files.find((file) => file.endsWith(".svg"));
    expect(jsonFile).toBeDefined();
    expect(svgFile).toBeDefined();

    const results = resultsSchema.parse(JSON.parse(readFileSync(join(out, jsonFile!), "utf8")));
    expect(results.quick).toBe(true);
    const { chatLatency, streaming, http, capacity, coldStart } = results.scenarios;
    expect(chatLatency.levels.map((level) => level.concurrency)).toEqual([1, 10, 100]);
    for (const level of chatLatency.levels) {
      expect(level.turns).toBeGreaterThan(0);
      expect(level.failedTurns).toBeGreaterThanOrEqual(0);
      // Both references answered every level: the floor, and the floor through the SDK.
      expect(level.floor.firstDeltaMs.n).toBeGreaterThan(0);
      expect(level.sdkFloor?.firstDeltaMs.n).toBeGreaterThan(0);
      expect(level.cpuPerTurnMs?.sdkFloor).toBeGreaterThanOrEqual(0);
    }
    expect(streaming.tokensPerTurn).toBeGreaterThan(1);
    expect(http.stateMessages).toBe(50);
    expect(http.endpoints.map((endpoint) => endpoint.name)).toEqual(["GET /health", "GET /state"]);
    expect(capacity.idle.steps.length).toBeGreaterThan(0);
    expect(capacity.chat.turnsSent).toBeGreaterThan(0);
    expect(typeof capacity.chat.failedTurns).toBe("number");
    // Every message a client sent is in the database (a count, not a timing).
    expect(capacity.chat.db.userMessages).toBe(capacity.chat.turnsSent);
    // The same load without checkpoints ran too, and lost nothing either.
    expect(capacity.chatWithoutCheckpoint.turnsSent).toBeGreaterThan(0);
    expect(capacity.chatWithoutCheckpoint.db.userMessages).toBe(
      capacity.chatWithoutCheckpoint.turnsSent,
    );
    expect(stdout).toContain("checkpoint cost in turn latency");
    // And with budgets on: every turn reserved and settled, nothing refused, nothing lost.
    expect(capacity.chatWithBudgets.turnsSent).toBeGreaterThan(0);
    expect(capacity.chatWithBudgets.failedTurns).toBe(0);
    expect(capacity.chatWithBudgets.db.userMessages).toBe(capacity.chatWithBudgets.turnsSent);
    expect(stdout).toContain("budget cost per turn");
    if (results.machine.database === "embedded") {
      // The embedded database serves one api process: the scenario says so and is left out.
      expect(results.scenarios.apiWorkers).toBeUndefined();
      expect(stderr + stdout).toContain("api workers: skipped");
    } else {
      // Two api processes on one port ran the same load and /state, each process measured.
      const workers = results.scenarios.apiWorkers!;
      expect(workers.processes).toBe(2);
      expect(workers.chat.db.userMessages).toBe(workers.chat.turnsSent);
      expect(workers.chat.apiProcessCpuSeconds.length).toBe(3);
      expect(workers.notificationsPerSecond).toBeGreaterThanOrEqual(0);
      expect(stdout).toContain("NOTIFY/s");
    }
    expect(coldStart.samples).toBeGreaterThan(0);
    expect(results.machine.bunVersion).toBe(Bun.version);

    expect(readFileSync(join(out, svgFile!), "utf8").startsWith("<svg")).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 160_000);
