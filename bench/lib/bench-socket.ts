/**
 * A /realtime client for load: opens with `?token=`, waits for `ready`, and runs one chat
 * turn at a time, timing each step with performance.now(). Events are JSON-parsed but not
 * zod-parsed: the api's contract tests cover their shape, and here every microsecond the
 * client spends is billed to the stack.
 */
import type { ServerEvent } from "@trainer2/shared/wire";

export type TurnOk = {
  ok: true;
  sessionId: string;
  /** ms from sending `chat` to each event. */
  startedMs: number;
  firstDeltaMs: number;
  lastDeltaMs: number;
  completedMs: number;
  deltas: number;
  chars: number;
  /** Arrival of every delta in ms after `chat` (only when asked for). */
  deltaTimes?: number[];
};
export type TurnFailed = { ok: false; reason: string };
export type TurnResult = TurnOk | TurnFailed;

type Pending = {
  clientMsgId: string;
  sentAt: number;
  runId?: string;
  result: Omit<TurnOk, "ok" | "sessionId"> & { sessionId?: string };
  finish: (result: TurnResult) => void;
};

let counter = 0;

/**
 * The api allows a socket 10 frames/s sustained (burst 40) and closes it with 4429 beyond
 * that. No person types faster, so a bench socket sends at most one chat per 150 ms; the
 * wait happens before sending and is never part of a timing.
 */
export const minTurnIntervalMs = 150;

export class BenchSocket {
  sessionId: string | null = null;
  closeCode: number | undefined;
  private pending: Pending | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  private constructor(private readonly ws: WebSocket) {}

  get open(): boolean {
    return this.closeCode === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Opens an authenticated socket; rejects on close or when `ready` takes too long. */
  static connect(wsUrl: string, token: string, timeoutMs: number): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`);
      const socket = new BenchSocket(ws);
      let ready = false;
      const timer = setTimeout(() => {
        if (ready) return;
        ws.close();
        reject(new Error("no ready within the time limit"));
      }, timeoutMs);
      ws.onmessage = (message) => {
        let event: ServerEvent;
        try {
          event = JSON.parse(String(message.data)) as ServerEvent;
        } catch {
          // Not JSON: ignored; a turn waiting on it times out and says so.
          return;
        }
        if (!ready && event.type === "ready") {
          ready = true;
          clearTimeout(timer);
          socket.sessionId = event.sessionId;
          resolve(socket);
          return;
        }
        socket.onEvent(event);
      };
      ws.onclose = (close) => {
        socket.closeCode = close.code;
        socket.pending?.finish({ ok: false, reason: `socket closed (${close.code})` });
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`closed before ready (${close.code})`));
        }
      };
      ws.onerror = () => {
        // The close event follows and carries the code.
      };
    });
  }

  /** One chat turn in this socket's session (a new one the first time). */
  async turn(text: string, timeoutMs: number, keepDeltaTimes = false): Promise<TurnResult> {
    const wait = this.lastSentAt + minTurnIntervalMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    return this.send(text, timeoutMs, keepDeltaTimes);
  }

  private send(text: string, timeoutMs: number, keepDeltaTimes: boolean): Promise<TurnResult> {
    if (this.pending) return Promise.resolve({ ok: false, reason: "turn already running" });
    if (!this.open) return Promise.resolve({ ok: false, reason: "socket is closed" });
    const clientMsgId = `bench-${process.pid}-${++counter}`;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => pending.finish({ ok: false, reason: "turn timed out" }),
        timeoutMs,
      );
      const pending: Pending = {
        clientMsgId,
        sentAt: performance.now(),
        result: {
          startedMs: Number.NaN,
          firstDeltaMs: Number.NaN,
          lastDeltaMs: Number.NaN,
          completedMs: Number.NaN,
          deltas: 0,
          chars: 0,
          ...(keepDeltaTimes ? { deltaTimes: [] } : {}),
        },
        finish: (result) => {
          if (this.pending !== pending) return;
          clearTimeout(timer);
          this.pending = undefined;
          resolve(result);
        },
      };
      this.pending = pending;
      const frame = {
        type: "chat",
        text,
        clientMsgId,
        ...(this.sessionId ? { sessionId: this.sessionId } : {}),
      };
      pending.sentAt = performance.now();
      this.lastSentAt = pending.sentAt;
      this.ws.send(JSON.stringify(frame));
    });
  }

  private onEvent(event: ServerEvent) {
    const pending = this.pending;
    if (!pending) return;
    const at = performance.now() - pending.sentAt;
    const result = pending.result;
    switch (event.type) {
      case "run.started":
        if (event.clientMsgId !== pending.clientMsgId) return;
        pending.runId = event.runId;
        result.startedMs = at;
        result.sessionId = event.sessionId;
        this.sessionId = event.sessionId;
        return;
      case "delta":
        if (event.runId !== pending.runId) return;
        if (result.deltas === 0) result.firstDeltaMs = at;
        result.lastDeltaMs = at;
        result.deltas += 1;
        result.chars += event.text.length;
        result.deltaTimes?.push(at);
        return;
      case "run.completed":
        if (event.runId !== pending.runId) return;
        result.completedMs = at;
        return pending.finish({ ...result, ok: true, sessionId: event.sessionId });
      case "run.failed":
        if (event.runId !== pending.runId) return;
        return pending.finish({ ok: false, reason: `run.failed ${event.code}: ${event.message}` });
      case "error":
        if (pending.runId) return;
        return pending.finish({ ok: false, reason: `error ${event.code}: ${event.message}` });
      default:
        return;
    }
  }

  close(): void {
    this.pending?.finish({ ok: false, reason: "closed by the bench" });
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000, "bench done");
  }
}
