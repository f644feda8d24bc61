/**
 * Child processes under supervision: each in its own process group (a stop reaches the
 * workers Next and Bun spawn), its output always drained (a child blocked on a full pipe
 * looks slow, then hangs) into a short tail for failure messages and to any line listener.
 * Every child this process starts is tracked, so none outlives it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type ChildSpec = {
  /** Names it in messages (`api`, `agent-2`, …). */
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Hears every line it prints, stdout and stderr (bun dev prints them prefixed). */
  onLine?: (line: string) => void;
  /** How long a stop waits after SIGTERM before SIGKILL (default 5 s). */
  stopGraceMs?: number;
};

export type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

export type Child = {
  name: string;
  /** What it was started from: enough to start it again. */
  spec: ChildSpec;
  process: ChildProcess;
  pid: number;
  /** performance.now() just before spawn: where a cold start begins. */
  spawnedAt: number;
  /** Settles once the process has exited, however it ended. */
  exit: Promise<ChildExit>;
  /** Settles once its output is read to the end (after `exit`, unless a worker holds the pipe). */
  outputClosed: Promise<void>;
  exited(): boolean;
  /** The last lines it printed, stdout and stderr interleaved. */
  tail(): string;
  onLine(listener: (line: string) => void): void;
};

const tailLines = 40;
const defaultGraceMs = 5000;
const running = new Set<Child>();

export function startChild(spec: ChildSpec): Child {
  const [file, ...args] = spec.command;
  const spawnedAt = performance.now();
  const child = spawn(file!, args, {
    cwd: spec.cwd,
    env: spec.env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // A command that cannot start also reports through "error"; unheard, that would crash us.
  child.once("error", () => {});
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${file}`);
  const lines: string[] = [];
  const listeners = spec.onLine ? [spec.onLine] : [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > tailLines) lines.shift();
    for (const listener of listeners) listener(line);
  };
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream! }).on("line", keep);
  const handle: Child = {
    name: spec.name,
    spec,
    process: child,
    pid: child.pid,
    spawnedAt,
    exit: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    outputClosed: new Promise((resolve) => child.once("close", () => resolve())),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    tail: () => lines.join("\n"),
    onLine: (listener) => listeners.push(listener),
  };
  running.add(handle);
  void handle.exit.then(() => running.delete(handle));
  return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to the child's whole group, SIGKILL after its grace period. */
export async function stopChild(child: Child, graceMs = child.spec.stopGraceMs ?? defaultGraceMs) {
  if (!child.exited()) {
    signalGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), graceMs);
    await child.exit;
    clearTimeout(timer);
  }
  // Workers that ignored SIGTERM, or outlived their parent, still die with the group.
  signalGroup(child.pid, "SIGKILL");
  running.delete(child);
}

/** Sends `signal` (default SIGKILL, as `kill -9`) to the child's whole group; settles on exit. */
export function killChild(child: Child, signal: NodeJS.Signals = "SIGKILL"): Promise<ChildExit> {
  signalGroup(child.pid, signal);
  return child.exit;
}

/** Every child still running, stopped gracefully (Ctrl-C, errors, the end of a run). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Synchronous last resort in an "exit" handler: no child outlives this process. */
export function killAllChildrenNow(): void {
  for (const child of running) signalGroup(child.pid, "SIGKILL");
}

/** How a child ended, for messages: its exit code, or the signal that ended it. */
export function describeExit(child: Child): string {
  return String(child.process.exitCode ?? child.process.signalCode ?? "unknown");
}
