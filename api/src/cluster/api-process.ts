/**
 * This api process among its peers: it registers in `api_processes`, says it is alive every
 * `heartbeatMs`, and sweeps: a peer silent for `staleMs` (or, on this host, whose pid is
 * gone) is forgotten and its answers still streaming end as interrupted, keeping their
 * checkpointed text. So a process that dies mid-run is noticed within staleMs + heartbeatMs.
 *
 * A sweep only judges peers after this process has reached the database without a break
 * for `staleMs`: after an outage every process's heartbeat looks old, and the first one back
 * must not take its live peers for dead. A restarting replica therefore never interrupts
 * the runs of peers that are still alive.
 */
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import type { Sql } from "@trainer2/db";
import {
  type InterruptedAnswer,
  interruptOrphanedAnswers,
  listApiProcesses,
  registerApiProcess,
  removeApiProcess,
  touchApiProcess,
} from "@trainer2/db/queries/api-processes";
import { settleAbandonedBudgets } from "@trainer2/db/queries/budgets";
import type { Logger } from "@trainer2/shared/logger";

export type ApiProcessOptions = {
  heartbeatMs: number;
  staleMs: number;
};

export const defaultApiProcessOptions: ApiProcessOptions = { heartbeatMs: 2000, staleMs: 6000 };

export type ApiProcess = {
  readonly id: string;
  /** Registers and starts the heartbeat and the sweeps. */
  start(): Promise<void>;
  /** One sweep now (also the start-up recovery). */
  sweep(): Promise<void>;
  /** Stops the timers and removes this process's row (its runs ended first). */
  stop(): Promise<void>;
};

export function apiProcess(deps: {
  id: string;
  sql: Sql;
  logger: Logger;
  options: ApiProcessOptions;
  /** Runs this process writes (and is setting up): never swept. */
  ownRuns: () => string[];
  /** Tells the sockets following each answer a sweep ended. */
  onInterrupted: (answers: InterruptedAnswer[]) => void;
}): ApiProcess {
  const { sql, logger, options, id } = deps;
  const host = processSpace();
  let timer: ReturnType<typeof setInterval> | undefined;
  /** Since when every heartbeat has reached the database (undefined after a failed one). */
  let reachableSince: number | undefined;
  let sweeping: Promise<void> | undefined;

  const beat = async () => {
    try {
      const known = await touchApiProcess(sql, id);
      // A peer took this process for gone (a long pause): register again and carry on.
      if (!known) await registerApiProcess(sql, { id, host, pid: process.pid });
      reachableSince ??= performance.now();
    } catch {
      reachableSince = undefined;
    }
  };

  const sweepOnce = async () => {
    const judgePeers =
      reachableSince !== undefined && performance.now() - reachableSince >= options.staleMs;
    const peers = await listApiProcesses(sql, options.staleMs);
    const gone = peers
      .filter((peer) => peer.id !== id)
      .filter(
        (peer) =>
          (judgePeers && peer.stale) ||
          (peer.host === host && !host.endsWith("#unknown") && !pidAlive(peer.pid)),
      )
      .map((peer) => peer.id);
    const answers = await interruptOrphanedAnswers(sql, {
      gone,
      self: id,
      ownRuns: deps.ownRuns,
    });
    // Their runs' reservations are charged now (what they reported, plus the call each was
    // in, estimated), not left to expire for free.
    if (gone.length > 0 || answers.length > 0) await settleAbandonedBudgets(sql);
    if (gone.length > 0) logger.warn("api processes gone", { processes: gone });
    if (answers.length > 0) {
      logger.warn("interrupted answers of gone processes", { count: answers.length });
      deps.onInterrupted(answers);
    }
  };

  const sweep = async () => {
    sweeping ??= sweepOnce()
      .catch((error) => logger.warn("sweep failed", { error }))
      .finally(() => {
        sweeping = undefined;
      });
    await sweeping;
  };

  return {
    id,
    async start() {
      await registerApiProcess(sql, { id, host, pid: process.pid });
      reachableSince = performance.now();
      await sweep();
      timer = setInterval(() => {
        void beat().then(sweep);
      }, options.heartbeatMs);
    },
    sweep,
    async stop() {
      clearInterval(timer);
      await sweeping;
      await removeApiProcess(sql, id).catch(() => {});
    },
  };
}

/**
 * Where this process's pid means something: the host name and the pid namespace. Two
 * processes in one space can check each other's pids; containers sharing a host name (host
 * networking) still differ in their namespace, so a pid is never looked up in the wrong one.
 */
function processSpace(): string {
  let namespace = "unknown";
  try {
    namespace = readlinkSync("/proc/self/ns/pid");
  } catch {
    // Not Linux: staleness alone tells a gone peer.
  }
  return `${hostname()}#${namespace}`;
}

/** True while a process with this pid runs on this machine (or cannot be checked). */
function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
