/**
 * Fan-out of realtime events, on this process and across api processes, and the registry of
 * the runs this process writes. Sockets are indexed by user and by the sessions they follow;
 * what happens in a session reaches this process's followers at once, and (through the bus,
 * cross-process.ts) the processes that told us they follow it too. Runs are indexed by
 * session (one at a time, which the database enforces) so a resuming socket can catch up on
 * the text so far. What a run is and holds lives in run.ts.
 */
import type { FailureCode } from "@trainer2/shared/failures";
import type { Logger } from "@trainer2/shared/logger";
import type { Message, ServerEvent, State } from "@trainer2/shared/wire";
import type { Bus } from "../cluster/bus.ts";
import { CrossProcess } from "./cross-process.ts";
import type { Run } from "./run.ts";

export type Client = {
  readonly userId: string;
  /** Sessions whose turn events this socket receives. */
  readonly sessions: Set<string>;
  /** `json`: the event already serialized (once for all its sockets). */
  send(event: ServerEvent, json?: string): void;
  /** Closes the socket with the code's close code and sentence. */
  close?(code: FailureCode): void;
};

type StateLoader = (userId: string, sessionId: string | undefined) => Promise<State>;

export type HubDeps = {
  loadState: StateLoader;
  logger: Logger;
  bus: Bus;
  /** Stored messages of these sessions changed since then (re-read after a lost bus link). */
  changedSince?: (
    sessionIds: string[],
    since: Date,
  ) => Promise<{ sessionId: string; message: Message }[]>;
  /** The user's sockets are closed (their account is gone): what this process keeps of them goes. */
  forgetUser?: (userId: string) => void;
};

/** Events that change stored messages (a delta or a tool line does not): see `watchChanges`. */
const changesMessages = (event: ServerEvent) => event.type !== "delta" && event.type !== "tool";

export class Hub {
  private readonly clients = new Map<string, Set<Client>>();
  private readonly followers = new Map<string, Set<Client>>();
  private readonly runs = new Map<string, Run>();
  /** Runs being set up (their rows exist, their Run not yet): never swept as orphans. */
  private readonly pending = new Set<string>();
  /**
   * Sessions a resume is reading, with a count of their stored-message changes (not deltas)
   * meanwhile: see `watchChanges`. Entries live only as long as a read, so this stays small.
   */
  private readonly watched = new Map<string, { readers: number; changes: number }>();
  readonly cross: CrossProcess;
  readonly bus: Bus;
  private readonly loadState: StateLoader;
  private readonly logger: Logger;
  private readonly forgetUser: (userId: string) => void;

  constructor(deps: HubDeps) {
    this.bus = deps.bus;
    this.loadState = deps.loadState;
    this.forgetUser = deps.forgetUser ?? (() => {});
    this.logger = deps.logger;
    const changedSince = deps.changedSince;
    this.cross = new CrossProcess(deps.bus, {
      deliver: (sessionId, events) => this.deliver(sessionId, events),
      runOf: (sessionId) => this.runs.get(sessionId),
      findRun: (runId) => this.findRun(runId),
      stateChanged: (userId, sessionId) => this.sendState(userId, sessionId),
      closeUser: (userId, code) => this.closeHere(userId, code),
      ...(changedSince
        ? {
            resync: async (sessionIds, since) => {
              for (const { sessionId, message } of await changedSince(sessionIds, since))
                this.deliver(sessionId, [{ type: "message", sessionId, message }]);
            },
          }
        : {}),
      logger: deps.logger,
    });
  }

  add(client: Client): void {
    const set = this.clients.get(client.userId) ?? new Set();
    set.add(client);
    this.clients.set(client.userId, set);
    for (const sessionId of client.sessions) this.follow(client, sessionId);
  }

  remove(client: Client): void {
    const set = this.clients.get(client.userId);
    set?.delete(client);
    if (set?.size === 0) this.clients.delete(client.userId);
    for (const sessionId of client.sessions) {
      const followers = this.followers.get(sessionId);
      followers?.delete(client);
      if (followers?.size === 0) {
        this.followers.delete(sessionId);
        this.cross.release(sessionId);
      }
    }
  }

  /** From now on the socket receives the session's events, from any process. */
  follow(client: Client, sessionId: string): void {
    client.sessions.add(sessionId);
    const followers = this.followers.get(sessionId) ?? new Set();
    if (followers.has(client)) return;
    followers.add(client);
    this.followers.set(sessionId, followers);
    if (followers.size === 1) this.cross.hold(sessionId);
  }

  socketsOf(userId: string): number {
    return this.clients.get(userId)?.size ?? 0;
  }

  /** Every socket following `sessionId`, here and on other processes, gets `event`. */
  toSession(userId: string, sessionId: string, event: ServerEvent): void {
    this.deliver(sessionId, [event]);
    this.cross.publish(userId, sessionId, event);
  }

  /** This process's followers of the session get the events (from here or another process). */
  private deliver(sessionId: string, events: ServerEvent[]): void {
    const watch = this.watched.get(sessionId);
    if (watch) watch.changes += events.filter(changesMessages).length;
    const followers = this.followers.get(sessionId);
    if (!followers) return;
    for (const event of events) {
      const json = JSON.stringify(event);
      for (const client of followers) client.send(event, json);
    }
  }

  toUser(userId: string, event: ServerEvent): void {
    const clients = this.clients.get(userId);
    if (!clients) return;
    // Serialized once for all of the user's sockets (a state event is the largest there is).
    const json = JSON.stringify(event);
    for (const client of clients) client.send(event, json);
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
  sizes() {
    return {
      users: this.clients.size,
      followed: this.followers.size,
      runs: this.runs.size,
      pending: this.pending.size,
      watched: this.watched.size,
      ...this.cross.sizes(),
    };
  }

  /** A run about to be stored: a sweep must not take its fresh row for an orphan. */
  claim(runId: string): () => void {
    this.pending.add(runId);
    return () => this.pending.delete(runId);
  }

  startRun(run: Run): void {
    this.pending.delete(run.runId);
    this.runs.set(run.sessionId, run);
  }

  endRun(run: Run): void {
    if (this.runs.get(run.sessionId) === run) this.runs.delete(run.sessionId);
    this.cross.ended(run);
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

  /** Runs this process writes or is about to: what its sweeps leave alone. */
  ownRunIds(): string[] {
    return [...this.pending, ...[...this.runs.values()].map((run) => run.runId)];
  }

  /** Sends the user's fresh state to their sockets here and on every other process. */
  publishState(userId: string, sessionId?: string): void {
    this.sendState(userId, sessionId);
    this.cross.stateChanged(userId, sessionId);
  }

  /** Closes every socket of the user, here and on every other process. */
  closeUser(userId: string, code: FailureCode): void {
    this.closeHere(userId, code);
    this.cross.closeUser(userId, code);
  }

  private closeHere(userId: string, code: FailureCode): void {
    // A token of theirs remembered here would otherwise still resolve to the deleted user.
    this.forgetUser(userId);
    // A copy: each close removes its socket from the set.
    for (const client of [...(this.clients.get(userId) ?? [])]) client.close?.(code);
  }

  private sendState(userId: string, sessionId: string | undefined): void {
    if (!this.clients.has(userId)) return;
    this.loadState(userId, sessionId).then(
      (state) => this.toUser(userId, { type: "state", state }),
      (error) => this.logger.warn("state publish failed", { userId, error }),
    );
  }
}
