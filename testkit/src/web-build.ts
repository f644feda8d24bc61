/**
 * `next build` once for every test process of a run. Under `bun test --parallel` each worker
 * is a process of its own, so a promise in memory is not enough: the first process to take
 * the lock (a directory: mkdir is atomic) builds, the others wait for it, and each then reads
 * the stamp the build left in `.next`. The stamp is a hash of everything the build reads (the
 * web's and shared's sources, the lockfile, the configs), so a build is reused only when it
 * was made from the sources as they are now, and any edit makes the next run build again.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isRunning } from "@trainer2/shared/processes";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { inheritedEnv } from "./env.ts";
import { repoRoot, webDir } from "./paths.ts";

const lockDir = join(webDir, ".next-build.lock");
const stampFile = join(webDir, ".next", "trainer2-build-stamp");
const lockPollMs = 100;

/** Files the build's output depends on: tracked or new (not ignored), tests and e2e left out. */
async function buildInputs(): Promise<string[]> {
  const { stdout, code } = await runCommand(
    [
      "git",
      "ls-files",
      "-co",
      "--exclude-standard",
      "--",
      "web",
      "shared",
      "package.json",
      "bun.lock",
      "bunfig.toml",
      "tsconfig.base.json",
    ],
    { cwd: repoRoot },
  );
  if (code !== 0) return [];
  return stdout
    .split("\n")
    .filter((path) => path && !path.startsWith("web/e2e/") && !/\.test\.tsx?$/.test(path))
    .sort();
}

/** The hash of the build's inputs; undefined when they cannot be listed (build every time). */
export async function sourceStamp(): Promise<string | undefined> {
  const inputs = await buildInputs();
  if (inputs.length === 0) return undefined;
  const hash = createHash("sha256");
  for (const path of inputs) {
    hash.update(`${path}\0`);
    try {
      hash.update(readFileSync(join(repoRoot, path)));
    } catch {
      // Listed but deleted since (a working tree being edited): its absence is the content.
      hash.update("\0deleted");
    }
  }
  // Inlined into the client bundle at build time: a build made with other values is another.
  for (const [name, value] of Object.entries(inheritedEnv()).sort())
    if (name.startsWith("NEXT_PUBLIC_")) hash.update(`${name}=${value}\0`);
  return hash.digest("hex");
}

function readStamp(): string | undefined {
  try {
    return readFileSync(stampFile, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Takes the lock, waiting for another process's build; a dead holder's lock is taken over. */
async function lock(): Promise<() => void> {
  const owner = join(lockDir, "pid");
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(owner, "utf8"));
    } catch {
      // Just created, its pid not written yet: give it a moment (unless it is very old).
      const age = Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 10_000) rmSync(lockDir, { recursive: true, force: true });
    }
    if (Number.isInteger(holder) && holder > 0 && !isRunning(holder))
      rmSync(lockDir, { recursive: true, force: true });
    await Bun.sleep(lockPollMs);
  }
}

/**
 * Builds the web app unless the build in `.next` was made from the current sources; `build`
 * is the build itself (here so a test can count builds without running Next).
 */
export async function buildOnce(build: () => Promise<void>): Promise<void> {
  const unlock = await lock();
  try {
    const stamp = await sourceStamp();
    if (stamp !== undefined && readStamp() === stamp) return;
    rmSync(stampFile, { force: true });
    await build();
    if (stamp !== undefined) writeFileSync(stampFile, `${stamp}\n`);
  } finally {
    unlock();
  }
}
