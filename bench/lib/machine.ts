/** Facts about where a run happened, so numbers from different machines are not confused. */
import { spawnSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { repoRoot } from "@trainer2/testkit";

function gitCommit(): string {
  const result = spawnSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
  const commit = result.status === 0 ? result.stdout.trim() : "";
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return commit ? `${commit}${dirty.stdout?.trim() ? "-dirty" : ""}` : "unknown";
}

export function machineFacts(database: "postgres" | "embedded") {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memTotalMb: Math.round(totalmem() / 1024 / 1024),
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    bunVersion: Bun.version,
    gitCommit: gitCommit(),
    database,
  };
}
