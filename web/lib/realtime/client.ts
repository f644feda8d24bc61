/**
 * The browser's /realtime connection, free of React so its protocol is unit-tested against a
 * plain WebSocket server: auth as the first frame, resume after every reconnect, a fresh
 * token after close 4401, exponential backoff with jitter, and chat, regenerate and approval
 * frames that are re-sent until the server acknowledges them (the api de-duplicates them).
 */
import { closeCodes } from "@trainer2/shared/failures";
import { type ClientFrame, type ServerEvent, serverEvent } from "@trainer2/shared/wire";
import { approvalKey, type Outbox, settledBy } from "./outbox";

export type ConnectionStatus =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "signed-out"
  /** The account was deleted (close 4410): reconnecting would only make a new, empty one. */
  | "account-deleted"
  /**
   * Too many sockets of this person on the api (close 4430): every retry would be refused
   * too, so it stops until the person closes some tabs and reloads.
   */
  | "too-many-connections";

export type StatusDetail = { attempt: number; retryInMs?: number; closeCode?: number };

export type ChatRequest = { sessionId?: string; text: string; clientMsgId: string };

export type RealtimeOptions = {
  /** ws(s)://…/realtime */
  url: string;
  /** The session's id_token; `fresh` asks for a refreshed one (after 4401). null = signed out. */
  getToken: (options: { fresh: boolean }) => Promise<string | null>;
  onEvent: (event: ServerEvent) => void;
  onStatus?: (status: ConnectionStatus, detail: StatusDetail) => void;
  /** Where to resume after a reconnect: the session shown and the last seq held in full. */
  resumePoint?: () => { sessionId: string; afterSeq: number } | null;
  backoff?: { baseMs: number; maxMs: number };
  /** Give up on the token after this many 4401 closes in a row. */
  maxUnauthorized?: number;
  /**
   * Send a renewed token on the open socket this long before the current one expires, so
   * the api never has to close it. Inside the session's own refresh window (5 minutes, see
   * lib/auth/session-token.ts), so by then the session hands out a renewed token.
   */
  reauthMarginMs?: number;
  pingIntervalMs?: number;
  random?: () => number;
  WebSocket?: typeof WebSocket;
};

/** Seconds-since-epoch `exp` of a JWT, read without verifying it (the api verifies). */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
    return typeof claims?.exp === "number" ? claims.exp : null;
  } catch {
    return null;
  }
}

const maxTimerMs = 2 ** 31 - 1;

/** http(s)://host → ws(s)://host/realtime */
export function realtimeUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/realtime`;
  url.search = "";
  return url.toString();
}

export class RealtimeClient {
  private socket: WebSocket | null = null;
  private status: ConnectionStatus = "connecting";
  private ready = false;
  private stopped = true;
  private attempt = 0;
  private unauthorized = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reauthTimer: ReturnType<typeof setTimeout> | undefined;
  /** The token this socket authenticated with most recently. */
  private token: string | null = null;
  private lastHeardAt = 0;
  private flushOnPong = false;
  /** Frames not yet acknowledged by the server (see outbox.ts), in send order. */
  private readonly outbox: Outbox = new Map();

  constructor(private readonly options: RealtimeOptions) {}

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect(false);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.reauthTimer);
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    this.flushOnPong = false;
    socket?.close(1000, "client stopped");
  }

  /** Skip the backoff wait (the "Reconnect now" button, the browser coming back online). */
  reconnectNow() {
    if (this.stopped || this.ready) return;
    clearTimeout(this.retryTimer);
    this.socket?.close(1000, "reconnecting");
    this.socket = null;
    void this.connect(this.unauthorized > 0);
  }

  get connectionStatus() {
    return this.status;
  }

  /** Queued while offline; re-sent after a reconnect until acknowledged. */
  sendChat(request: ChatRequest) {
    const frame: ClientFrame = { type: "chat", ...request };
    this.outbox.set(request.clientMsgId, frame);
    this.sendNow(frame);
  }

  /** The session's last answer again; like a chat, re-sent after a reconnect until acknowledged. */
  sendRegenerate(request: { sessionId: string; clientMsgId: string }) {
    const frame: ClientFrame = { type: "regenerate", ...request };
    this.outbox.set(request.clientMsgId, frame);
    this.sendNow(frame);
  }

  /**
   * The person's decision on a tool call waiting for it; like a chat, re-sent after a drop
   * until the api records it (`approval.decided`) or refuses it for good (already decided).
   */
  sendApproval(decision: Omit<Extract<ClientFrame, { type: "approval" }>, "type">) {
    const frame: ClientFrame = { type: "approval", ...decision };
    this.outbox.set(approvalKey(decision), frame);
    this.sendNow(frame);
  }

  /** Follow another session on this socket: its missed messages, then its live events. */
  follow(sessionId: string, afterSeq: number): boolean {
    return this.sendNow({ type: "resume", sessionId, afterSeq });
  }

  /** Returns false when not connected: a Stop that cannot be delivered should say so. */
  cancel(runId: string): boolean {
    return this.sendNow({ type: "cancel", runId });
  }

  private sendNow(frame: ClientFrame): boolean {
    if (!this.ready || !this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private setStatus(status: ConnectionStatus, detail: Partial<StatusDetail> = {}) {
    this.status = status;
    this.options.onStatus?.(status, { attempt: this.attempt, ...detail });
  }

  private async connect(fresh: boolean) {
    if (this.stopped) return;
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let token: string | null;
    try {
      token = await this.options.getToken({ fresh });
    } catch {
      // The session endpoint is unreachable: same as a dropped socket.
      this.scheduleRetry(undefined);
      return;
    }
    if (this.stopped) return;
    if (!token) {
      this.setStatus("signed-out");
      return;
    }
    this.token = token;
    const Impl = this.options.WebSocket ?? WebSocket;
    const socket = new Impl(this.options.url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token }));
    socket.onmessage = (message) => {
      if (this.socket !== socket) return;
      this.lastHeardAt = Date.now();
      this.receive(message.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      this.flushOnPong = false;
      clearInterval(this.pingTimer);
      clearTimeout(this.reauthTimer);
      if (!this.stopped) this.scheduleRetry(event.code);
    };
  }

  private receive(data: unknown) {
    let parsed: ReturnType<typeof serverEvent.safeParse>;
    try {
      parsed = serverEvent.safeParse(JSON.parse(String(data)));
    } catch {
      return;
    }
    // A frame this client does not understand is skipped, not fatal: the api may be newer.
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.type === "ready") this.onReady();
    for (const key of settledBy(event, this.outbox)) this.outbox.delete(key);
    if (event.type === "pong" && this.flushOnPong) {
      this.flushOnPong = false;
      this.flushOutbox();
    }
    this.options.onEvent(event);
  }

  private onReady() {
    this.ready = true;
    this.attempt = 0;
    this.unauthorized = 0;
    this.setStatus("connected");
    const point = this.options.resumePoint?.();
    if (point && this.outbox.size > 0) {
      // The api answers frames in order: when the pong arrives, the replay has too, and
      // every chat it stored before the drop has been acknowledged. Only the rest is re-sent.
      this.sendNow({ type: "resume", sessionId: point.sessionId, afterSeq: point.afterSeq });
      this.sendNow({ type: "ping" });
      this.flushOnPong = true;
    } else {
      if (point) this.sendNow({ type: "resume", ...point });
      this.flushOutbox();
    }
    this.startPing();
    this.scheduleReauth();
  }

  private scheduleReauth(delayMs?: number) {
    clearTimeout(this.reauthTimer);
    const exp = this.token ? tokenExpiry(this.token) : null;
    if (exp === null) return;
    const margin = this.options.reauthMarginMs ?? 4 * 60_000;
    const due = delayMs ?? exp * 1000 - Date.now() - margin;
    this.reauthTimer = setTimeout(
      () => void this.reauth(exp),
      Math.min(Math.max(due, 0), maxTimerMs),
    );
  }

  /** A renewed token on the same socket; if none is ready yet, ask again shortly. */
  private async reauth(exp: number) {
    if (!this.ready) return;
    const next = await this.options.getToken({ fresh: false }).catch(() => undefined);
    if (!this.ready) return;
    if (next && next !== this.token) {
      this.token = next;
      this.sendNow({ type: "auth", token: next });
      this.scheduleReauth();
    } else if (next !== null && Date.now() < exp * 1000) {
      // Past expiry the api closes with 4401 and the reconnect asks for a fresh token.
      this.scheduleReauth(Math.min(30_000, exp * 1000 - Date.now()));
    }
  }

  private flushOutbox() {
    for (const frame of this.outbox.values()) this.sendNow(frame);
  }

  private startPing() {
    const every = this.options.pingIntervalMs ?? 25_000;
    clearInterval(this.pingTimer);
    this.lastHeardAt = Date.now();
    this.pingTimer = setInterval(() => {
      // Two silent intervals: the connection is dead even if the browser has not noticed.
      if (Date.now() - this.lastHeardAt > 2 * every) {
        this.socket?.close(4000, "no answer to ping");
        return;
      }
      this.sendNow({ type: "ping" });
    }, every);
  }

  private scheduleRetry(closeCode: number | undefined) {
    if (closeCode === closeCodes.accountDeleted) {
      this.stopped = true;
      this.outbox.clear();
      this.setStatus("account-deleted", { closeCode });
      return;
    }
    if (closeCode === closeCodes.tooManyConnections) {
      this.stopped = true;
      this.setStatus("too-many-connections", { closeCode });
      return;
    }
    const unauthorized = closeCode === closeCodes.unauthorized;
    this.unauthorized = unauthorized ? this.unauthorized + 1 : 0;
    if (this.unauthorized > (this.options.maxUnauthorized ?? 3)) {
      this.setStatus("signed-out", { closeCode });
      return;
    }
    this.attempt += 1;
    // The first retry after 4401 is immediate: a fresh token usually fixes it.
    const delay = unauthorized && this.unauthorized === 1 ? 0 : this.backoffMs();
    this.setStatus("reconnecting", { retryInMs: delay, ...(closeCode ? { closeCode } : {}) });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(unauthorized), delay);
  }

  private backoffMs() {
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 500, maxMs: 15_000 };
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.attempt - 1, 16));
    const random = this.options.random ?? Math.random;
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
  }
}
