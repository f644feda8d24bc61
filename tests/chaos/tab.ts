/**
 * One browser tab's socket, as a browser sees it: every event it received in order, how it
 * closed, and waits on what comes next. Events are zod-parsed (a malformed one is a finding,
 * kept as `malformed`); nothing the server says about itself is trusted beyond the wire.
 */
import { type ClientFrame, type ServerEvent, serverEvent } from "@trainer2/shared/wire";

export type TabLog = {
  id: string;
  /** ms since the run started, of the open and of `ready` (undefined: never ready). */
  openedMs: number;
  readyMs?: number;
  events: ServerEvent[];
  malformed: number;
  closeCode?: number;
  closedMs?: number;
};

export class Tab {
  readonly log: TabLog;
  #ws: WebSocket;
  #waiters = new Set<() => void>();

  private constructor(ws: WebSocket, id: string, now: () => number) {
    this.#ws = ws;
    this.log = { id, openedMs: now(), events: [], malformed: 0 };
    ws.addEventListener("message", (message) => {
      const parsed = serverEvent.safeParse(parseJson(String(message.data)));
      if (!parsed.success) this.log.malformed += 1;
      else {
        if (parsed.data.type === "ready") this.log.readyMs ??= now();
        this.log.events.push(parsed.data);
      }
      this.#wake();
    });
    ws.addEventListener("close", (event) => {
      this.log.closeCode = event.code;
      this.log.closedMs = now();
      this.#wake();
    });
  }

  /** Opens a socket and resolves once it is `ready`, or undefined when it closes first. */
  static async open(url: string, id: string, now: () => number, timeoutMs: number) {
    const tab = new Tab(new WebSocket(url), id, now);
    const ready = await tab.waitFor((event) => event.type === "ready", timeoutMs);
    if (ready) return tab;
    tab.close();
    return { failed: tab.log };
  }

  get open(): boolean {
    return this.log.closeCode === undefined && this.#ws.readyState === WebSocket.OPEN;
  }

  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * The first event from now on (or already received after `from`) that `match` accepts;
   * undefined when the socket closes or `timeoutMs` passes first.
   */
  async waitFor(
    match: (event: ServerEvent) => boolean,
    timeoutMs: number,
    from = this.log.events.length,
  ): Promise<ServerEvent | undefined> {
    const deadline = performance.now() + timeoutMs;
    let cursor = from;
    for (;;) {
      while (cursor < this.log.events.length) {
        const event = this.log.events[cursor++]!;
        if (match(event)) return event;
      }
      const left = deadline - performance.now();
      if (this.log.closeCode !== undefined || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  /** A ping answered: the socket still works end to end. */
  async alive(timeoutMs: number): Promise<boolean> {
    const from = this.log.events.length;
    if (!this.send({ type: "ping" })) return false;
    return (await this.waitFor((event) => event.type === "pong", timeoutMs, from)) !== undefined;
  }

  close(): void {
    if (this.#ws.readyState <= WebSocket.OPEN) this.#ws.close();
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
