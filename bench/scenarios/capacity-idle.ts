/**
 * Scenario 3a: how many signed-in, idle WebSockets one api process holds. Steps up in
 * batches; at each step the api's RSS, sockets still open, and errors. The file-descriptor
 * limit of both ends is read first: a step it cannot fit is not attempted, and reported.
 */
import { readFileSync } from "node:fs";
import { rssMb } from "@trainer2/shared/processes";
import { BenchSocket } from "../lib/bench-socket.ts";
import { pool } from "../lib/stats.ts";
import { closeAll, connectTimeoutMs, type ScenarioContext, tally } from "./context.ts";

export type IdleStep = {
  target: number;
  open: number;
  errors: number;
  rssMb: number;
  /** Time to open this step's new sockets. */
  openMs: number;
};

export type IdleResult = {
  fdLimit: { bench: number; api: number };
  /** Why the steps stopped below the plan (fd limit, errors, time), or null. */
  cappedBy: string | null;
  baselineRssMb: number;
  steps: IdleStep[];
  maxOpen: number;
  errors: number;
  failures: Record<string, number>;
  /** Sockets that closed on their own while held. */
  dropped: number;
};

/** Soft "Max open files" of a process (Infinity when unlimited or unreadable). */
export function fdLimit(pid: number | "self"): number {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
    const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
    return soft && soft !== "unlimited" ? Number(soft) : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Descriptors each side needs besides the sockets (db pool, pipes, listeners, modules). */
const fdHeadroom = 256;

export async function capacityIdle(ctx: ScenarioContext): Promise<IdleResult> {
  const { profile, stack } = ctx;
  const limits = { bench: fdLimit("self"), api: fdLimit(stack.api.pid) };
  const fits = Math.min(limits.bench, limits.api) - fdHeadroom;
  const plan = profile.capacity.idleSteps;
  let cappedBy: string | null = null;
  const tokens = await Promise.all(
    Array.from({ length: profile.capacity.idleUsers }, (_, index) =>
      stack.mint(`idle-${index}@bench.test`),
    ),
  );
  const sockets: BenchSocket[] = [];
  const steps: IdleStep[] = [];
  const baselineRssMb = rssMb(stack.api.pid);
  let errors = 0;
  let dropped = 0;
  const reasons: string[] = [];
  try {
    for (const target of plan) {
      if (!ctx.alive()) break;
      if (target > fits) {
        cappedBy = `file descriptors: ulimit -n is ${Math.min(limits.bench, limits.api)} (bench ${limits.bench}, api ${limits.api})`;
        break;
      }
      const started = performance.now();
      const deadline = started + profile.capacity.stepTimeMs;
      let stepErrors = 0;
      const wanted = target - sockets.length;
      await pool(wanted, profile.capacity.connectConcurrency, async (index) => {
        if (performance.now() > deadline || !ctx.alive()) return;
        try {
          const token = tokens[(sockets.length + index) % tokens.length]!;
          sockets.push(await BenchSocket.connect(ctx.wsUrl, token, connectTimeoutMs));
        } catch (error) {
          stepErrors += 1;
          reasons.push((error as Error).message);
        }
      });
      const openMs = Math.round(performance.now() - started);
      // Let the api settle (GC, buffers) before reading its memory.
      await Bun.sleep(500);
      errors += stepErrors;
      const open = sockets.filter((socket) => socket.open).length;
      steps.push({ target, open, errors: stepErrors, rssMb: rssMb(stack.api.pid), openMs });
      ctx.log(
        `capacity: ${open}/${target} idle sockets open, api RSS ${steps.at(-1)!.rssMb} MiB, ${stepErrors} errors`,
      );
      // A stray failed handshake is reported, not fatal; more than 1% ends the climb.
      if (open < target * 0.99) {
        cappedBy = performance.now() > deadline ? "time limit of a step" : "connection errors";
        break;
      }
    }
    await Bun.sleep(1000);
  } finally {
    dropped = sockets.filter((socket) => !socket.open).length;
    closeAll(sockets);
  }
  // Give the api a moment to see the closes before the next scenario measures it.
  await Bun.sleep(Math.min(3000, 200 + sockets.length / 10));
  return {
    fdLimit: {
      bench: Number.isFinite(limits.bench) ? limits.bench : -1,
      api: Number.isFinite(limits.api) ? limits.api : -1,
    },
    cappedBy,
    baselineRssMb,
    steps,
    maxOpen: Math.max(0, ...steps.map((step) => step.open)),
    errors,
    failures: tally(reasons),
    dropped,
  };
}
