/**
 * The `state` snapshots this process built, served again while they are current. Current
 * means: the user's state_version and the database's date are what they were when the
 * snapshot was read (migration 0007's triggers move the version with every write to what the
 * snapshot shows, from any process or connection). The check is one indexed read, and the
 * checks of requests that arrive together share one statement; the snapshot itself is one
 * statement of about a millisecond of database time and ~25 KB of JSON parsed and mapped.
 *
 * Why a check per request and not invalidation by NOTIFY: a notification reaches another
 * process some time after the commit, so a person's next read there could still see the
 * old snapshot; the check reads after the request arrived, so a write that finished before
 * it is always seen. Measured with wrk -t2 -c50 on a 50-message session, one api process:
 * the statement per request ~0.8k req/s (Postgres busy 7.4 s of 8); a kept snapshot behind
 * one check per request ~2.6k; checks batched ~3.1k (Postgres 0.3 s of 8, the api's one
 * thread the limit); with the JSON kept too (assemble.ts) ~4.3k.
 */
import type { Sql } from "@trainer2/db";
import { type StateStamp, stateStamps } from "@trainer2/db/queries/state";
import type { State } from "@trainer2/shared/wire";
import { Counter, type Registry } from "prom-client";

export type Stamped = { state: State; at: StateStamp };

/** Reads one snapshot with the stamp it was read at (load-state.ts). */
export type StampedLoader = (userId: string, sessionId: string | undefined) => Promise<Stamped>;

/**
 * Snapshots are ~50–100 KB of heap each (50 messages); this many is a few tens of MB per
 * process, enough for the people who reload or reconnect around the same time.
 */
export const defaultMaxSnapshots = 500;

export type StateCache = {
  /** The snapshot as it is now: the kept one if still current, else read (and kept). */
  load(userId: string, sessionId: string | undefined): Promise<State>;
  /** Drops every snapshot of the user (their account is gone: none is served, none is held). */
  forget(userId: string): void;
  readonly stats: { hits: number; misses: number };
};

export function createStateCache(deps: {
  sql: Sql;
  read: StampedLoader;
  maxSnapshots?: number;
}): StateCache {
  const maxSnapshots = deps.maxSnapshots ?? defaultMaxSnapshots;
  // Insertion order is recency order: a hit moves its entry to the end, the oldest goes first.
  const kept = new Map<string, Stamped>();
  const stampOf = batchedStamps(deps.sql);
  const stats = { hits: 0, misses: 0 };

  const keep = (key: string, entry: Stamped) => {
    kept.delete(key);
    kept.set(key, entry);
    if (kept.size > maxSnapshots) kept.delete(kept.keys().next().value as string);
  };

  return {
    stats,
    forget(userId) {
      for (const key of [...kept.keys()]) if (key.startsWith(`${userId}/`)) kept.delete(key);
    },
    async load(userId, sessionId) {
      const key = `${userId}/${sessionId ?? ""}`;
      const entry = kept.get(key);
      if (entry) {
        const now = await stampOf(userId);
        if (now && now.version === entry.at.version && now.day === entry.at.day) {
          stats.hits += 1;
          keep(key, entry);
          return entry.state;
        }
      }
      stats.misses += 1;
      // The stamp comes from the snapshot's own statement, so the two always agree.
      const read = await deps.read(userId, sessionId);
      keep(key, read);
      return read.state;
    },
  };
}

type Waiting = { resolve: (stamp: StateStamp | undefined) => void; reject: (e: unknown) => void };

/**
 * The stamp of a user as it is now. One statement at a time: the requests that arrive while
 * one is out wait for the next, never join it (it may have read before they arrived).
 */
function batchedStamps(sql: Sql): (userId: string) => Promise<StateStamp | undefined> {
  let waiting = new Map<string, Waiting[]>();
  let reading = false;

  const readNext = async () => {
    reading = true;
    const batch = waiting;
    waiting = new Map();
    try {
      const stamps = await stateStamps(sql, [...batch.keys()]);
      for (const [userId, callers] of batch)
        for (const caller of callers) caller.resolve(stamps.get(userId));
    } catch (error) {
      for (const callers of batch.values()) for (const caller of callers) caller.reject(error);
    } finally {
      reading = false;
      if (waiting.size > 0) void readNext();
    }
  };

  return (userId) =>
    new Promise((resolve, reject) => {
      const callers = waiting.get(userId);
      if (callers) callers.push({ resolve, reject });
      else waiting.set(userId, [{ resolve, reject }]);
      if (!reading) void readNext();
    });
}

/** `state_snapshots_total{served}`: how often /state (and the sockets' state events) were kept ones. */
export function registerStateCacheMetrics(registry: Registry, cache: StateCache): void {
  new Counter({
    name: "state_snapshots_total",
    help: "State snapshots served: kept (still current) or read from the database.",
    labelNames: ["served"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ served: "kept" }, cache.stats.hits);
      this.inc({ served: "read" }, cache.stats.misses);
    },
  });
}
