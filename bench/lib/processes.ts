/**
 * Child processes of the bench: each in its own process group (a stop reaches anything it
 * spawned), output kept in a short ring buffer so a failure can be explained, and its RSS
 * read straight from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

export type Child = {
  name: string;
  process: ChildProcess;
  pid: number;
  /** performance.now() just before spawn: the start of a cold start. */
  spawnedAt: number;
  /** The last lines it printed (stdout and stderr). */
  tail: () => string;
  onLine: (listener: (line: string) => void) => void;
  exited: () => boolean;
};

const tailLines = 40;
const running = new Set<Child>();

export function startChild(
  name: string,
  command: string[],
  options: { cwd: string; env: Record<string, string> },
): Child {
  const [file, ...args] = command;
  const spawnedAt = performance.now();
  const child = spawn(file!, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    // Always drained: a child blocked on a full pipe would look slow.
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (lines.length > tailLines) lines.shift();
      for (const listener of listeners) listener(line);
    });
  }
  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    spawnedAt,
    tail: () => lines.join("\n"),
    onLine: (listener) => listeners.push(listener),
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
  running.add(handle);
  child.once("exit", () => running.delete(handle));
  return handle;
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the child's group, SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (!child.exited()) {
    const exited = new Promise<void>((resolve) => child.process.once("exit", () => resolve()));
    killGroup(child.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
  killGroup(child.pid, "SIGKILL");
  running.delete(child);
}

/** Every child still running, stopped (for Ctrl-C and errors). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Synchronous last resort on process exit: no child outlives the bench. */
export function killAllChildrenNow(): void {
  for (const child of running) killGroup(child.pid, "SIGKILL");
}

/** Resident set size in MiB from /proc/<pid>/status (0 when unreadable). */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers 200; resolves with ms since the child was spawned. Polls
 * often (every 5 ms) because the number is the cold start itself.
 */
export async function waitForHealthy(child: Child, url: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    if (child.exited())
      throw new Error(`${child.name} exited during start:\n${child.tail() || "(no output)"}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - child.spawnedAt;
      last = `status ${response.status}`;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(5);
  }
  throw new Error(
    `${child.name} did not answer 200 on ${url} within ${timeoutMs} ms (${last}):\n${child.tail()}`,
  );
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 when unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    // Linux reports in clock ticks; USER_HZ is 100 on every mainstream kernel.
    return ticks / 100;
  } catch {
    return 0;
  }
}
