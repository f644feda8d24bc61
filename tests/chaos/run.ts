/**
 * One chaos run: the stage, N people acting for `seconds`, the seeded fault schedule beside
 * them, then a final reconnect of everyone and the invariants. Everything it started is
 * stopped before it returns, whatever happened.
 */
import {
  type FaultHooks,
  type InjectedFault,
  type PlannedFault,
  planFaults,
  runFaults,
} from "./faults.ts";
import { checkInvariants, type Process, type Verdict } from "./invariants.ts";
import { Person, type PersonRecord } from "./person.ts";
import { Random } from "./random.ts";
import { startStage } from "./stage.ts";
import { type Crash, Supervisor } from "./supervisor.ts";
import { type HealthChange, watchHealth } from "./watch.ts";

export type ChaosOptions = {
  seconds: number;
  people: number;
  seed: number;
  /** Exactly one fault of each kind (the smoke test), instead of about one per 6 s. */
  everyKindOnce?: boolean;
  log?: (line: string) => void;
};

export type ChaosResult = {
  seed: number;
  seconds: number;
  people: number;
  plan: PlannedFault[];
  faults: InjectedFault[];
  actions: Record<string, number>;
  outcomes: Record<string, number>;
  tabs: number;
  /** Processes that exited with no fault asking (the supervisor restarted them). */
  crashes: Crash[];
  verdicts: Verdict[];
  /** Each change of a process's /health answer during the run (watch.ts). */
  health: HealthChange[];
  ok: boolean;
};

/** How long the final reconnect of everyone may take before the invariants judge it. */
const finalReadyMs = 30_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const actionMs = options.seconds * 1000;
  const rng = new Random(options.seed);
  const plan = planFaults(rng.fork("faults"), actionMs, options.everyKindOnce);
  log(`seed ${options.seed}: ${plan.length} faults planned; starting the stack`);
  const stage = await startStage();
  const people: Person[] = [];
  const startedAt = performance.now();
  const now = () => performance.now() - startedAt;
  const supervisor = new Supervisor([...stage.apis, ...stage.agents, stage.model], now, log);
  try {
    for (let i = 0; i < options.people; i++) {
      const email = `person${i}.seed${options.seed}@chaos.test`;
      const world = {
        wsUrl: stage.nginx.wsUrl,
        httpUrl: stage.nginx.url,
        token: () => stage.tokenFor(email),
        now,
      };
      people.push(new Person(email, rng.fork(`person ${i}`), world));
    }
    const drops = rng.fork("drops");
    const hooks: FaultHooks = {
      dropSockets: (count) =>
        Array.from({ length: count }, () => drops.pick(people)).filter((person) => person.drop())
          .length,
      kill: (service, holdMs) => supervisor.kill(service, holdMs),
    };
    const processes: Process[] = [
      ...[...stage.apis, ...stage.agents, stage.model].map((service) => ({
        name: service.name,
        url: service.url,
        tail: () => service.tail(),
      })),
      { name: "nginx", url: stage.nginx.url, tail: () => stage.nginx.child.tail() },
    ];
    const watch = watchHealth(processes, now);
    log(`stack up; ${options.people} people act for ${options.seconds} s`);
    const [faults] = await Promise.all([
      runFaults(stage, plan, hooks, startedAt, log),
      // Each person, done acting, makes sure of a working socket at once (as a page would).
      Promise.all(
        people.map(async (person) => {
          await person.act(actionMs);
          await person.ready(now() + finalReadyMs);
        }),
      ),
    ]);
    const lastFaultMs = Math.max(0, ...faults.map((fault) => fault.healedMs));
    // A socket dropped by a fault that outlasted the actions is opened again here.
    await Promise.all(people.map((person) => person.ready(now() + finalReadyMs)));
    log("actions done, everyone connected again; the invariants");
    const records = people.map((person) => person.record);
    const verdicts = await checkInvariants(
      {
        sql: stage.stack.database.sql,
        people: records,
        lastFaultMs,
        apiKilled: faults.some((fault) => fault.kind === "kill-api"),
        crashes: supervisor.crashes,
        now,
      },
      processes,
    );
    await watch.stop();
    return {
      seed: options.seed,
      seconds: options.seconds,
      people: options.people,
      plan,
      faults,
      actions: sum(records, "actions"),
      outcomes: sum(records, "outcomes"),
      tabs: records.reduce((n, record) => n + record.tabs.length, 0),
      crashes: supervisor.crashes,
      verdicts,
      health: watch.changes,
      ok: verdicts.every((verdict) => verdict.offending.length === 0),
    };
  } finally {
    supervisor.stop();
    for (const person of people) person.close();
    await stage.close();
  }
}

function sum(records: PersonRecord[], kind: "actions" | "outcomes"): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records)
    for (const [key, n] of Object.entries(record[kind])) total[key] = (total[key] ?? 0) + n;
  return total;
}
