/**
 * One scripted person: a socket through nginx (landing on either api process), a seeded mix
 * of what people do in the chat, and a record of everything their tabs saw. A closed socket
 * is opened again and the chat resumed, as the web client does; a wait that runs out moves
 * the person on (the invariants judge the outcome afterwards, not the person).
 */
import type { ServerEvent } from "@trainer2/shared/wire";
import type { Random } from "./random.ts";
import { SecondTab } from "./second-tab.ts";
import { Tab, type TabLog } from "./tab.ts";

export type PersonWorld = {
  wsUrl: string;
  httpUrl: string;
  /** A fresh id_token (a long run outlives one). */
  token(): Promise<string>;
  /** ms since the run started. */
  now(): number;
};

const actionWeights = {
  chat: 6,
  stop: 2,
  regenerate: 2,
  newChat: 1,
  rename: 1,
  delete: 0.5,
  deletion: 2,
  reconnect: 1,
};
type Action = keyof typeof actionWeights;

const chatTexts = [
  "hello",
  "my goal is to run a 5k",
  "log a 30 minute run",
  "log a 5 km run",
  "what did I do this week",
  "make me a plan",
];

/** What one person did and saw: the input of the invariants. */
export type PersonRecord = {
  email: string;
  userId?: string;
  tabs: TabLog[];
  /** clientMsgId → session of every chat frame sent. */
  sent: Map<string, string | undefined>;
  /** Sessions deleted, or whose delete may have happened (no answer came). */
  deleted: Set<string>;
  actions: Record<string, number>;
  outcomes: Record<string, number>;
};

const turnWaitMs = 25_000;
const readyWaitMs = 10_000;

export class Person {
  readonly record: PersonRecord;
  #tab: Tab | undefined;
  #sessionId: string | undefined;
  #tabs = 0;
  /** About one person in three has the chat open in a second tab. */
  readonly second: SecondTab | undefined;

  constructor(
    email: string,
    private readonly rng: Random,
    private readonly world: PersonWorld,
  ) {
    this.record = {
      email,
      tabs: [],
      sent: new Map(),
      deleted: new Set(),
      actions: {},
      outcomes: {},
    };
    const tabs = rng.fork("second tab");
    if (tabs.int(1, 3) === 1) this.second = new SecondTab(this.record, tabs, world);
  }

  /** The chat on screen; the second tab, if any, opens it too. */
  #show(sessionId: string | undefined) {
    this.#sessionId = sessionId;
    this.second?.follow(sessionId);
  }

  /** Acts until `untilMs` (run time), then stops acting; the socket stays open. */
  async act(untilMs: number): Promise<void> {
    await Promise.all([this.#actFirst(untilMs), this.second?.act(untilMs)]);
  }

  async #actFirst(untilMs: number): Promise<void> {
    while (this.world.now() < untilMs) {
      await Bun.sleep(this.rng.int(100, 1200));
      if (!(await this.#readyFirst(untilMs))) continue;
      const action = this.rng.weighted(actionWeights);
      this.#count("actions", action);
      await this.#do(action).catch((error: Error) =>
        this.#count("outcomes", `threw ${error.name}`),
      );
    }
  }

  /** A working socket (ping answered), opening a new one and resuming as needed. */
  async ready(untilMs: number): Promise<boolean> {
    const [first, second] = await Promise.all([
      this.#readyFirst(untilMs),
      this.second?.ready(untilMs) ?? true,
    ]);
    return first && second;
  }

  async #readyFirst(untilMs: number): Promise<boolean> {
    if (this.#tab?.open && (await this.#tab.alive(5000))) return true;
    while (this.world.now() < untilMs) {
      if (await this.#connect()) return true;
      await Bun.sleep(this.rng.int(200, 600));
    }
    return false;
  }

  /** Closes the socket as a network drop would (the next action reconnects). */
  drop(): boolean {
    if (!this.#tab?.open) return false;
    this.#tab.close();
    return true;
  }

  close(): void {
    this.#tab?.close();
    this.second?.close();
  }

  async #connect(): Promise<boolean> {
    const id = `${this.record.email}#${++this.#tabs}`;
    const url = `${this.world.wsUrl}?token=${await this.world.token()}`;
    const opened = await Tab.open(url, id, this.world.now, readyWaitMs);
    if (!(opened instanceof Tab)) {
      this.record.tabs.push(opened.failed);
      return false;
    }
    this.record.tabs.push(opened.log);
    this.#tab = opened;
    const ready = opened.log.events.find((event) => event.type === "ready");
    if (ready?.type === "ready") this.record.userId = ready.user.id;
    // Resume the chat on screen: everything after the start comes again, deduped by seq.
    if (this.#sessionId) opened.send({ type: "resume", sessionId: this.#sessionId, afterSeq: 0 });
    return true;
  }

  async #do(action: Action): Promise<void> {
    const session = this.#sessionId;
    switch (action) {
      case "chat":
        return this.#turn(this.rng.pick(chatTexts), session);
      case "newChat":
        return this.#turn(this.rng.pick(chatTexts), undefined);
      case "stop":
        return this.#turn("tell me a long story", session, this.rng.int(100, 1500));
      case "deletion":
        return this.#deletion(session);
      case "regenerate":
        if (!session) return this.#turn("hello", undefined);
        return this.#regenerate(session);
      case "rename":
        if (session) await this.#http("PATCH", session, { title: `chat ${this.rng.int(1, 99)}` });
        return;
      case "delete":
        if (!session) return;
        // An answer that never came may still have deleted it: either way, it is gone here.
        this.record.deleted.add(session);
        this.#show(undefined);
        await this.#http("DELETE", session);
        return;
      case "reconnect":
        this.drop();
        return;
    }
  }

  /** A chat frame; with `stopAfterMs`, Stop that long after its run started. */
  async #turn(text: string, sessionId: string | undefined, stopAfterMs?: number) {
    const tab = this.#tab!;
    const clientMsgId = crypto.randomUUID();
    const from = tab.log.events.length;
    this.record.sent.set(clientMsgId, sessionId);
    tab.send({ type: "chat", text, clientMsgId, ...(sessionId ? { sessionId } : {}) });
    const started = await tab.waitFor(
      (e) =>
        (e.type === "run.started" && e.clientMsgId === clientMsgId) ||
        (e.type === "error" && e.clientMsgId === clientMsgId),
      turnWaitMs,
      from,
    );
    if (started?.type !== "run.started") return this.#outcome(started, tab);
    this.#show(started.sessionId);
    if (stopAfterMs !== undefined) {
      await Bun.sleep(stopAfterMs);
      tab.send({ type: "cancel", runId: started.runId });
    }
    await this.#untilEnd(tab, started.runId, from);
  }

  async #regenerate(sessionId: string) {
    const tab = this.#tab!;
    const clientMsgId = crypto.randomUUID();
    const from = tab.log.events.length;
    tab.send({ type: "regenerate", sessionId, clientMsgId });
    const started = await tab.waitFor(
      (e) =>
        (e.type === "run.started" && e.clientMsgId === clientMsgId) ||
        (e.type === "error" && (e.clientMsgId === clientMsgId || e.sessionId === sessionId)),
      turnWaitMs,
      from,
    );
    if (started?.type !== "run.started") return this.#outcome(started, tab);
    await this.#untilEnd(tab, started.runId, from);
  }

  /**
   * "Delete my last workout": the tool asks the person, who approves, rejects, or lets the
   * approval expire (the run goes on by itself when it does).
   */
  async #deletion(sessionId: string | undefined) {
    const tab = this.#tab!;
    const from = tab.log.events.length;
    const turn = this.#turn("delete my last workout", sessionId);
    const asked = await tab.waitFor((e) => e.type === "approval.requested", turnWaitMs, from);
    if (asked?.type === "approval.requested") {
      const choice = this.rng.weighted({ approve: 5, reject: 3, expire: 2 });
      this.#count("actions", `approval ${choice}`);
      if (choice !== "expire") {
        await Bun.sleep(this.rng.int(50, 1500));
        tab.send({
          type: "approval",
          runId: asked.runId,
          callId: asked.callId,
          decision: choice,
        });
      }
      await turn;
      // The run goes on under the same id once decided: its end comes after the request.
      await this.#untilEnd(tab, asked.runId, tab.log.events.indexOf(asked) + 1, false);
    }
    await turn;
  }

  /** The run's end on this tab (or its pause for an approval, when `pauseEnds`). */
  async #untilEnd(tab: Tab, runId: string, from: number, pauseEnds = true) {
    const end = await tab.waitFor(
      (e) =>
        ((e.type === "run.completed" || e.type === "run.failed") && e.runId === runId) ||
        (pauseEnds && e.type === "approval.requested" && e.runId === runId),
      turnWaitMs,
      from,
    );
    this.#outcome(end, tab);
  }

  #outcome(event: ServerEvent | undefined, tab: Tab) {
    if (!event) this.#count("outcomes", tab.open ? "no end in time" : "socket closed");
    else if (event.type === "run.failed") this.#count("outcomes", `run.failed ${event.code}`);
    else if (event.type === "error") this.#count("outcomes", `error ${event.code}`);
    else this.#count("outcomes", event.type);
  }

  async #http(method: string, sessionId: string, body?: unknown) {
    const response = await fetch(`${this.world.httpUrl}/sessions/${sessionId}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.world.token()}`,
        "content-type": "application/json",
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    this.#count("outcomes", `${method} ${response?.status ?? "no answer"}`);
  }

  #count(kind: "actions" | "outcomes", key: string) {
    this.record[kind][key] = (this.record[kind][key] ?? 0) + 1;
  }
}
