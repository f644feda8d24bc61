/**
 * Child services for `bun dev`: each in its own process group (so a stop reaches the
 * workers Next and Bun spawn), output prefixed and coloured per service.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const colours = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"];
const reset = "\x1b[0m";
let nextColour = 0;

export type ServiceSpec = {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  port: number;
};

export function prefixer(name: string): (line: string) => void {
  const colour = process.stdout.isTTY ? colours[nextColour++ % colours.length] : "";
  const label = `${colour}${name.padEnd(6)}|${colour ? reset : ""} `;
  return (line) => process.stdout.write(`${label}${line}\n`);
}

export const say = prefixer("dev");

export function startChild(spec: ServiceSpec): ChildProcess {
  const [command, ...args] = spec.command;
  const child = spawn(command!, args, {
    cwd: spec.cwd,
    env: spec.env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const print = prefixer(spec.name);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", print);
  }
  return child;
}

/** SIGTERM to the child's whole group, SIGKILL after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, "SIGKILL");
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  // Workers that ignored SIGTERM still die with the group.
  killGroup(child.pid, "SIGKILL");
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** Resolves once /health answers 200; rejects when the child exits first or time runs out. */
export async function waitForHealth(
  child: ChildProcess,
  url: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode} during start`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return response.status;
      last = `${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(300);
  }
  throw new Error(
    `did not answer ${url} with 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`,
  );
}
