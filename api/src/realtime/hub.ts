/**
 * In-process fan-out of realtime events, and the registry of the runs this process owns.
 * Sockets are indexed by user; each socket follows the sessions it was ready on, chatted in
 * or resumed. Runs in flight are indexed by session (one at a time) so a resuming socket can
 * catch up on the text so far. What a run is and holds lives in run.ts.
 */

import type { Logger } from "@trainer2/shared/logger";
import type { ServerEvent, State } from "@trainer2/shared/wire";
import type { Run } from "./run.ts";

export type Client = {
  readonly userId: string;
  /** Sessions whose turn events this socket receives. */
  readonly sessions: Set<string>;
  send(event: ServerEvent): void;
};

type StateLoader = (userId: string, sessionId: string | undefined) => Promise<State>;

export class Hub {
  private readonly clients = new Map<string, Set<Client>>();
  private readonly runs = new Map<string, Run>();
  private readonly reserved = new Set<string>();
  /**
   * Sessions a resume is reading, with a count of their stored-message changes (not deltas)
   * meanwhile: see `watchChanges`. Entries live only as long as a read, so this stays small.
   */
  private readonly watched = new Map<string, { readers: number; changes: number }>();

  constructor(
    private readonly loadState: StateLoader,
    private readonly logger: Logger,
  ) {}

  add(client: Client): void {
    const set = this.clients.get(client.userId) ?? new Set();
    set.add(client);
    this.clients.set(client.userId, set);
  }

  remove(client: Client): void {
    const set = this.clients.get(client.userId);
    set?.delete(client);
    if (set?.size === 0) this.clients.delete(client.userId);
  }

  socketsOf(userId: string): number {
    return this.clients.get(userId)?.size ?? 0;
  }

  /** Every socket of `userId` following `sessionId` gets `event`. */
  toSession(userId: string, sessionId: string, event: ServerEvent): void {
    const watch = this.watched.get(sessionId);
    if (watch && event.type !== "delta" && event.type !== "tool") watch.changes += 1;
    for (const client of this.clients.get(userId) ?? [])
      if (client.sessions.has(sessionId)) client.send(event);
  }

  toUser(userId: string, event: ServerEvent): void {
    for (const client of this.clients.get(userId) ?? []) client.send(event);
  }

  /**
   * Starts noticing changes to a session's stored messages (deltas excluded); the returned
   * function stops and says whether any happened. Call it also when the read failed.
   */
  watchChanges(sessionId: string): () => boolean {
    const watch = this.watched.get(sessionId) ?? { readers: 0, changes: 0 };
    watch.readers += 1;
    this.watched.set(sessionId, watch);
    const before = watch.changes;
    let stopped = false;
    return () => {
      if (!stopped) {
        stopped = true;
        watch.readers -= 1;
        if (watch.readers === 0) this.watched.delete(sessionId);
      }
      return watch.changes !== before;
    };
  }

  /** How many entries each index holds: every one must go when its socket or run does. */
  sizes(): { users: number; runs: number; reserved: number; watched: number } {
    return {
      users: this.clients.size,
      runs: this.runs.size,
      reserved: this.reserved.size,
      watched: this.watched.size,
    };
  }

  /**
   * Claims the session for a new run; false when one is running or being set up. Synchronous
   * on purpose: two chat frames racing for one session cannot both pass.
   */
  reserve(sessionId: string): boolean {
    if (this.runs.has(sessionId) || this.reserved.has(sessionId)) return false;
    this.reserved.add(sessionId);
    return true;
  }

  release(sessionId: string): void {
    this.reserved.delete(sessionId);
  }

  startRun(run: Run): void {
    this.reserved.delete(run.sessionId);
    this.runs.set(run.sessionId, run);
  }

  endRun(run: Run): void {
    if (this.runs.get(run.sessionId) === run) this.runs.delete(run.sessionId);
  }

  runOf(sessionId: string): Run | undefined {
    return this.runs.get(sessionId);
  }

  findRun(runId: string): Run | undefined {
    for (const run of this.runs.values()) if (run.runId === runId) return run;
    return undefined;
  }

  activeRuns(): Run[] {
    return [...this.runs.values()];
  }

  /** Loads the user's state and sends it to all their sockets (after a tool changed data). */
  publishState(userId: string, sessionId?: string): void {
    if (!this.clients.has(userId)) return;
    this.loadState(userId, sessionId).then(
      (state) => this.toUser(userId, { type: "state", state }),
      (error) => this.logger.warn("state publish failed", { userId, error }),
    );
  }
}
