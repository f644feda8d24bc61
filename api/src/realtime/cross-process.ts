/**
 * The hub's side that faces the other api processes. Events travel only to processes that
 * said their sockets follow the session (`follow`/`unfollow`), so a user whose sockets are
 * all on the process that runs their turn costs no notification at all.
 *
 * A process that starts following late (a socket reconnected to it mid-answer) must miss
 * nothing: the process writing the answer, on hearing `follow` (or a `catchup` request),
 * sends it the turn as it is now (Run.catchUp: the messages with the text so far, or how
 * the turn ended if it just did), then every later event. Clients drop what they already
 * have by seq and offset. Events of one tick for one session go out as one message, with
 * adjoining deltas merged.
 */
import type { FailureCode } from "@trainer2/shared/failures";
import type { Logger } from "@trainer2/shared/logger";
import type { ServerEvent } from "@trainer2/shared/wire";
import type { Bus, Envelope } from "../cluster/bus.ts";
import type { Run } from "./run.ts";

export type CrossProcessDeps = {
  /** This process's followers of `sessionId` get `events`. */
  deliver: (sessionId: string, events: ServerEvent[]) => void;
  runOf: (sessionId: string) => Run | undefined;
  findRun: (runId: string) => Run | undefined;
  /** The user's data changed on another process: send their sockets here a fresh state. */
  stateChanged: (userId: string, sessionId: string | undefined) => void;
  /** Another process closed the user's sockets (their account was deleted): close them here. */
  closeUser?: (userId: string, code: FailureCode) => void;
  /** The link was lost: re-read these sessions' messages changed since then. */
  resync?: (sessionIds: string[], since: Date) => Promise<void>;
  logger: Logger;
};

/** How long an ended run is kept to catch up a process that starts following just after. */
const recentMs = 30_000;
/** Session ids per follow message (36 characters each, well under a payload). */
const idsPerMessage = 150;

type Outgoing = { userId: string; to: string[]; events: ServerEvent[] };

export class CrossProcess {
  private readonly remote = new Map<string, Set<string>>();
  private readonly interest = new Map<string, number>();
  private readonly recent = new Map<string, { run: Run; until: number }>();
  private readonly outbox = new Map<string, Outgoing>();
  private readonly announce = { follow: new Set<string>(), unfollow: new Set<string>() };
  private scheduled = false;
  private lastHeardAt = Date.now();

  constructor(
    private readonly bus: Bus,
    private readonly deps: CrossProcessDeps,
  ) {
    bus.onMessage((message) => this.receive(message));
    bus.onReconnect(() => void this.reconnected());
  }

  /** One more local holder of interest in the session (a follower, a resume reading it). */
  hold(sessionId: string): void {
    const count = (this.interest.get(sessionId) ?? 0) + 1;
    this.interest.set(sessionId, count);
    if (count === 1) this.queueAnnouncement("follow", sessionId);
  }

  release(sessionId: string): void {
    const count = (this.interest.get(sessionId) ?? 0) - 1;
    if (count > 0) {
      this.interest.set(sessionId, count);
      return;
    }
    this.interest.delete(sessionId);
    this.queueAnnouncement("unfollow", sessionId);
  }

  /** Sends `event` to the processes following the session, with this tick's others. */
  publish(userId: string, sessionId: string, event: ServerEvent): void {
    const to = this.remote.get(sessionId);
    if (!to || to.size === 0) return;
    const queued = this.outbox.get(sessionId);
    if (queued) queued.events.push(event);
    else this.outbox.set(sessionId, { userId, to: [...to], events: [event] });
    this.schedule();
  }

  stateChanged(userId: string, sessionId: string | undefined): void {
    if (this.bus.shared)
      this.bus.send({ t: "state", u: userId, ...(sessionId ? { s: sessionId } : {}) });
  }

  /** The user's sockets on the other processes close with `code`. */
  closeUser(userId: string, code: FailureCode): void {
    if (this.bus.shared) this.bus.send({ t: "close", u: userId, c: code });
  }

  /** Asks whoever writes an answer in the session to send where it is (after a resume). */
  requestCatchUp(sessionId: string): void {
    this.flush();
    if (this.bus.shared) this.bus.send({ t: "catchup", s: sessionId });
  }

  /** A Stop for a run another process writes (the sender checked it is the user's). */
  cancelElsewhere(runId: string, userId: string): void {
    this.bus.send({ t: "cancel", r: runId, u: userId });
  }

  /** Keeps the ended run a while, for processes that start following just after. */
  ended(run: Run): void {
    if (!this.bus.shared) return;
    const now = Date.now();
    for (const [sessionId, entry] of this.recent)
      if (entry.until < now) this.recent.delete(sessionId);
    this.recent.set(run.sessionId, { run, until: now + recentMs });
  }

  sizes() {
    return { remote: this.remote.size, interest: this.interest.size, recent: this.recent.size };
  }

  private queueAnnouncement(kind: "follow" | "unfollow", sessionId: string): void {
    if (!this.bus.shared) return;
    const other = kind === "follow" ? "unfollow" : "follow";
    if (!this.announce[other].delete(sessionId)) this.announce[kind].add(sessionId);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Everything queued this tick goes to the bus now, in the order it happened. */
  private flush(): void {
    this.scheduled = false;
    for (const kind of ["follow", "unfollow"] as const) {
      const ids = [...this.announce[kind]];
      this.announce[kind].clear();
      for (let i = 0; i < ids.length; i += idsPerMessage)
        this.bus.send({ t: kind, s: ids.slice(i, i + idsPerMessage) });
    }
    for (const [sessionId, out] of this.outbox)
      this.bus.send({
        t: "events",
        s: sessionId,
        u: out.userId,
        e: mergeDeltas(out.events),
        to: out.to,
      });
    this.outbox.clear();
  }

  private receive(message: Envelope): void {
    this.lastHeardAt = Date.now();
    // What was published before this message was computed for the followers known then.
    this.flush();
    switch (message.t) {
      case "events":
        if (message.to.includes(this.bus.processId)) this.deps.deliver(message.s, message.e);
        return;
      case "follow":
        for (const sessionId of message.s) {
          const set = this.remote.get(sessionId) ?? new Set();
          set.add(message.p);
          this.remote.set(sessionId, set);
          this.catchUp(sessionId, message.p);
        }
        return;
      case "unfollow":
        for (const sessionId of message.s) {
          const set = this.remote.get(sessionId);
          set?.delete(message.p);
          if (set?.size === 0) this.remote.delete(sessionId);
        }
        return;
      case "catchup":
        this.catchUp(message.s, message.p);
        return;
      case "hello":
        this.announceAll();
        return;
      case "cancel": {
        const run = this.deps.findRun(message.r);
        if (run && run.userId === message.u) run.stop("cancelled");
        return;
      }
      case "state":
        this.deps.stateChanged(message.u, message.s);
        return;
      case "close":
        this.deps.closeUser?.(message.u, message.c);
        return;
    }
  }

  /** Sends `process` the turn of `sessionId` this process writes or just ended, if any. */
  private catchUp(sessionId: string, process: string): void {
    const recent = this.recent.get(sessionId);
    const run =
      this.deps.runOf(sessionId) ?? (recent && recent.until > Date.now() ? recent.run : undefined);
    if (!run) return;
    this.bus.send({ t: "events", s: sessionId, u: run.userId, e: run.catchUp(), to: [process] });
  }

  private announceAll(): void {
    for (const sessionId of this.interest.keys()) this.announce.follow.add(sessionId);
    this.schedule();
  }

  /** The link was lost: tell everyone what this process follows, learn theirs, re-read. */
  private async reconnected(): Promise<void> {
    const since = new Date(this.lastHeardAt);
    this.deps.logger.warn("bus reconnected: catching up", { since: since.toISOString() });
    this.announceAll();
    this.bus.send({ t: "hello" });
    await this.deps
      .resync?.([...this.interest.keys()], since)
      .catch((error) =>
        this.deps.logger.warn("could not re-read after the bus reconnected", { error }),
      );
  }

  /** Says hello at start: the processes already running tell what they follow. */
  greet(): void {
    if (this.bus.shared) this.bus.send({ t: "hello" });
  }
}

/** Adjoining deltas of one run become one (fewer, larger events on the bus). */
export function mergeDeltas(events: ServerEvent[]): ServerEvent[] {
  const merged: ServerEvent[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (
      event.type === "delta" &&
      last?.type === "delta" &&
      last.runId === event.runId &&
      last.offset + last.text.length === event.offset
    )
      merged[merged.length - 1] = { ...last, text: last.text + event.text };
    else merged.push(event);
  }
  return merged;
}
