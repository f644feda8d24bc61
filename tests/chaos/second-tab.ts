/**
 * A person's second browser tab on the same chat: its own socket through nginx (so often on
 * the other api process), following the session the first tab is on (a `resume`, as the page
 * does when it opens a chat), now and then pressing Stop on a run it sees streaming, or
 * reloading. What it saw is judged per socket like the first tab's.
 */
import type { PersonRecord, PersonWorld } from "./person.ts";
import type { Random } from "./random.ts";
import { Tab } from "./tab.ts";

const readyWaitMs = 10_000;

export class SecondTab {
  #tab: Tab | undefined;
  #sessionId: string | undefined;
  #opened = 0;

  constructor(
    private readonly record: PersonRecord,
    private readonly rng: Random,
    private readonly world: PersonWorld,
  ) {}

  /** The first tab is on this chat now: this tab opens it too. */
  follow(sessionId: string | undefined): void {
    if (sessionId === this.#sessionId) return;
    this.#sessionId = sessionId;
    if (sessionId) this.#tab?.send({ type: "resume", sessionId, afterSeq: 0 });
  }

  /** Until `untilMs` (run time): stays connected, and sometimes stops a run or reloads. */
  async act(untilMs: number): Promise<void> {
    while (this.world.now() < untilMs) {
      await Bun.sleep(this.rng.int(500, 3000));
      if (!(await this.ready(untilMs))) continue;
      const choice = this.rng.weighted({ watch: 6, stop: 2, reload: 1 });
      if (choice === "stop") this.#stopStreaming();
      if (choice === "reload") this.drop();
      this.#count(`second tab ${choice}`);
    }
  }

  /** A working socket (ping answered), opening a new one and resuming as needed. */
  async ready(untilMs: number): Promise<boolean> {
    if (this.#tab?.open && (await this.#tab.alive(5000))) return true;
    while (this.world.now() < untilMs) {
      if (await this.#connect()) return true;
      await Bun.sleep(this.rng.int(200, 600));
    }
    return false;
  }

  drop(): boolean {
    if (!this.#tab?.open) return false;
    this.#tab.close();
    return true;
  }

  close(): void {
    this.#tab?.close();
  }

  async #connect(): Promise<boolean> {
    // "#b": the invariants follow each tab's chain of sockets by this prefix.
    const id = `${this.record.email}#b${++this.#opened}`;
    const url = `${this.world.wsUrl}?token=${await this.world.token()}`;
    const opened = await Tab.open(url, id, this.world.now, readyWaitMs);
    if (!(opened instanceof Tab)) {
      this.record.tabs.push(opened.failed);
      return false;
    }
    this.record.tabs.push(opened.log);
    this.#tab = opened;
    if (this.#sessionId) opened.send({ type: "resume", sessionId: this.#sessionId, afterSeq: 0 });
    return true;
  }

  /** Stop on the latest run this tab saw start and not end (the other tab's, likely). */
  #stopStreaming(): void {
    const events = this.#tab?.log.events ?? [];
    const ended = new Set(
      events.flatMap((e) =>
        e.type === "run.completed" || e.type === "run.failed" ? [e.runId] : [],
      ),
    );
    const started = events.findLast((e) => e.type === "run.started" && !ended.has(e.runId));
    if (started?.type === "run.started") this.#tab?.send({ type: "cancel", runId: started.runId });
  }

  #count(key: string) {
    this.record.actions[key] = (this.record.actions[key] ?? 0) + 1;
  }
}
