/**
 * The fault schedule and its injectors. The schedule is drawn from the seed before anything
 * starts (same seed, same faults at the same offsets); faults run one after another, each
 * at its offset or as soon as the one before has healed. A killed process is started again
 * on its port and environment by the run's supervisor (supervisor.ts).
 */
import type { Service } from "@trainer2/testkit";
import type { Random } from "./random.ts";
import type { Stage } from "./stage.ts";

export const faultKinds = [
  "kill-api",
  "kill-agent",
  "db-outage",
  "bus-listen",
  "drop-sockets",
  "slow-model",
] as const;
export type FaultKind = (typeof faultKinds)[number];

export type PlannedFault = {
  kind: FaultKind;
  /** ms after the start of the actions. */
  atMs: number;
  /** Which api or agent (0 or 1); how many sockets; unused otherwise. */
  target: number;
  /** How long the database stays down, the model stays paused, a process stays dead. */
  holdMs: number;
};

export type InjectedFault = PlannedFault & { startedMs: number; healedMs: number; note: string };

const weights: Record<FaultKind, number> = {
  "kill-api": 3,
  "kill-agent": 2,
  "db-outage": 2,
  "bus-listen": 2,
  "drop-sockets": 3,
  "slow-model": 2,
};

function planOne(rng: Random, kind: FaultKind, atMs: number, brief: boolean): PlannedFault {
  const drawn =
    kind === "db-outage"
      ? rng.int(1000, 10_000)
      : kind === "slow-model"
        ? rng.int(500, 3000)
        : rng.int(200, 1500);
  // Brief: the shortest hold of each kind (the smoke test's time is short).
  const holdMs = brief ? ({ "db-outage": 1000, "slow-model": 500 }[kind as string] ?? 200) : drawn;
  const target = kind === "drop-sockets" ? rng.int(1, 8) : rng.int(0, 1);
  return { kind, atMs, target, holdMs };
}

/**
 * About one fault per 6 s of actions, between 2 s in and 3 s before the end; `everyKind`
 * (the smoke test) plans exactly one of each kind, in a seeded order, each held briefly.
 */
export function planFaults(rng: Random, actionMs: number, everyKind = false): PlannedFault[] {
  const first = 2000;
  const last = Math.max(first + 1, actionMs - 3000);
  const kinds = everyKind
    ? shuffled(rng, [...faultKinds])
    : Array.from({ length: Math.max(1, Math.round(actionMs / 6000)) }, () => rng.weighted(weights));
  return kinds
    .map((kind, i) =>
      planOne(rng, kind, first + Math.round(((last - first) * i) / kinds.length), everyKind),
    )
    .sort((a, b) => a.atMs - b.atMs);
}

function shuffled<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export type FaultHooks = {
  /** Closes the sockets of `count` people at random (they reconnect and resume). */
  dropSockets(count: number): number;
  /** SIGKILL, then started again after `holdMs` (the supervisor's). */
  kill(service: Service, holdMs: number): Promise<void>;
};

async function inject(stage: Stage, fault: PlannedFault, hooks: FaultHooks): Promise<string> {
  switch (fault.kind) {
    case "kill-api":
    case "kill-agent": {
      const service = (fault.kind === "kill-api" ? stage.apis : stage.agents)[fault.target]!;
      await hooks.kill(service, fault.holdMs);
      return `${service.name} killed, back after ${fault.holdMs} ms`;
    }
    case "db-outage":
      await stage.cluster.stop({ mode: "immediate" });
      await Bun.sleep(fault.holdMs);
      await stage.cluster.start();
      return `postgres down ${fault.holdMs} ms`;
    case "bus-listen": {
      const rows = await stage.stack.database.sql`select pg_terminate_backend(pid) as done
        from pg_stat_activity where query ilike 'listen%'`;
      return `${rows.length} LISTEN connection(s) terminated`;
    }
    case "drop-sockets":
      return `${hooks.dropSockets(fault.target)} socket(s) dropped`;
    case "slow-model": {
      // A paused model is the slowest one: every stream stalls, then goes on.
      process.kill(stage.model.pid, "SIGSTOP");
      await Bun.sleep(fault.holdMs);
      process.kill(stage.model.pid, "SIGCONT");
      return `model paused ${fault.holdMs} ms`;
    }
  }
}

/** Runs the schedule from `startedAt`; resolves with what was done once the last has healed. */
export async function runFaults(
  stage: Stage,
  plan: PlannedFault[],
  hooks: FaultHooks,
  startedAt: number,
  log: (line: string) => void,
): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  for (const fault of plan) {
    const wait = startedAt + fault.atMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const startedMs = performance.now() - startedAt;
    const note = await inject(stage, fault, hooks).catch((error: Error) => {
      return `FAILED to inject: ${error.message.split("\n")[0]}`;
    });
    const healedMs = performance.now() - startedAt;
    log(`fault ${fault.kind} at ${(startedMs / 1000).toFixed(1)} s: ${note}`);
    done.push({ ...fault, startedMs, healedMs, note });
  }
  return done;
}
