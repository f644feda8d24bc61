/**
 * How big each scenario is. `quick` is a smoke run (under a minute, small counts); the full
 * profile is what the README's table comes from; `smoke` is the test suite's run: every
 * scenario and code path of `quick`, each loop at the smallest size that still goes round it
 * (bench.test.ts: the suite waits on it). Every loop has a count AND a time limit.
 */
export type Profile = {
  /** Hard stop for the whole run: everything is torn down after this. */
  deadlineMs: number;
  coldStart: { samples: number };
  chatLatency: {
    /** Measured turns per session at each concurrency (after one warm-up turn). */
    levels: { concurrency: number; turnsPerSession: number }[];
    /** Time limit per level. */
    levelTimeMs: number;
    /** Sequential probes of the model alone (its own TTFT, subtracted from both relays). */
    modelProbes: number;
  };
  streaming: { turns: number; timeMs: number };
  http: { connections: number; requests: number; timeMs: number; stateMessages: number };
  capacity: {
    idleSteps: number[];
    /** Sockets opening at once while stepping up. */
    connectConcurrency: number;
    /** Distinct users the idle sockets sign in as. */
    idleUsers: number;
    stepTimeMs: number;
    chatSessions: number;
    chatTimeMs: number;
    /** A variant pair's unmeasured load first, so its cold start is not billed to its setting. */
    variantWarmUpMs: number;
  };
  /** A single turn that takes longer than this counts as failed. */
  turnTimeoutMs: number;
};

export const fullProfile: Profile = {
  deadlineMs: 20 * 60_000,
  coldStart: { samples: 3 },
  chatLatency: {
    levels: [
      { concurrency: 1, turnsPerSession: 100 },
      { concurrency: 10, turnsPerSession: 30 },
      { concurrency: 100, turnsPerSession: 5 },
    ],
    levelTimeMs: 60_000,
    modelProbes: 50,
  },
  streaming: { turns: 5, timeMs: 60_000 },
  http: { connections: 50, requests: 20_000, timeMs: 10_000, stateMessages: 50 },
  capacity: {
    idleSteps: [1000, 2500, 5000, 7500, 10_000],
    connectConcurrency: 200,
    idleUsers: 100,
    stepTimeMs: 120_000,
    chatSessions: 200,
    chatTimeMs: 30_000,
    variantWarmUpMs: 5000,
  },
  turnTimeoutMs: 30_000,
};

export const quickProfile: Profile = {
  // A hard stop past its usual 40–55 s on 2 cores, so a busy moment does not fail it.
  deadlineMs: 75_000,
  coldStart: { samples: 1 },
  chatLatency: {
    levels: [
      { concurrency: 1, turnsPerSession: 10 },
      { concurrency: 10, turnsPerSession: 2 },
      { concurrency: 100, turnsPerSession: 1 },
    ],
    levelTimeMs: 6000,
    modelProbes: 10,
  },
  streaming: { turns: 1, timeMs: 5000 },
  http: { connections: 50, requests: 1000, timeMs: 1500, stateMessages: 50 },
  capacity: {
    idleSteps: [100, 250, 500],
    connectConcurrency: 100,
    idleUsers: 10,
    stepTimeMs: 8000,
    chatSessions: 20,
    chatTimeMs: 3000,
    // A smoke run: its numbers are not compared.
    variantWarmUpMs: 0,
  },
  turnTimeoutMs: 15_000,
};

/**
 * The suite's run (`--smoke`): what `--quick` runs, with each count and time limit cut to
 * what exercises it once. Its numbers mean nothing; it proves the code paths end to end.
 */
export const smokeProfile: Profile = {
  // Caps, not durations: the suite's other files run beside it on a loaded machine, where the
  // counts below take far longer than they would alone (c=100 alone took 11 s at load 20).
  deadlineMs: 150_000,
  coldStart: { samples: 1 },
  chatLatency: {
    levels: [
      { concurrency: 1, turnsPerSession: 2 },
      { concurrency: 10, turnsPerSession: 1 },
      { concurrency: 100, turnsPerSession: 1 },
    ],
    levelTimeMs: 40_000,
    modelProbes: 2,
  },
  streaming: { turns: 1, timeMs: 20_000 },
  http: { connections: 10, requests: 200, timeMs: 500, stateMessages: 50 },
  capacity: {
    idleSteps: [20, 50],
    connectConcurrency: 50,
    idleUsers: 5,
    stepTimeMs: 20_000,
    chatSessions: 5,
    chatTimeMs: 1000,
    variantWarmUpMs: 0,
  },
  turnTimeoutMs: 30_000,
};
