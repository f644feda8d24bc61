import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ServerEvent } from "@trainer2/shared/wire";
import type { ServerWebSocket } from "bun";
import { type ConnectionStatus, RealtimeClient, realtimeUrl, tokenExpiry } from "./client";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

// A tiny WebSocket server double on loopback: it records every frame and lets each test
// script the server's side of the /realtime protocol.
type Conn = { ws: ServerWebSocket<unknown>; frames: Record<string, unknown>[] };

function startServer() {
  const conns: Conn[] = [];
  const waiters: Array<() => void> = [];
  const notify = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (srv.upgrade(request)) return;
      return new Response("upgrade required", { status: 426 });
    },
    websocket: {
      open(ws) {
        conns.push({ ws, frames: [] });
        notify();
      },
      message(ws, message) {
        conns.find((c) => c.ws === ws)?.frames.push(JSON.parse(String(message)));
        notify();
      },
    },
  });
  /** Resolves when `check` holds, re-checked after every server-side event. */
  const until = async <T>(check: () => T | undefined | false, what: string): Promise<T> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { server, conns, until, url: `ws://127.0.0.1:${server.port}/realtime` };
}

const sessionId = "11111111-1111-4111-8111-111111111111";
const runId = "22222222-2222-4222-8222-222222222222";
const user = {
  id: "33333333-3333-4333-8333-333333333333",
  email: "a@b.co",
  name: "A",
  picture: null,
};
const send = (conn: Conn | undefined, event: ServerEvent | Record<string, unknown>) =>
  conn!.ws.send(JSON.stringify(event));
const ready = (conn: Conn | undefined) => send(conn, { type: "ready", user, sessionId: null });

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function setup(overrides: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {}) {
  const srv = startServer();
  const events: ServerEvent[] = [];
  const statuses: ConnectionStatus[] = [];
  const tokenCalls: boolean[] = [];
  let tokenCount = 0;
  const client = new RealtimeClient({
    url: srv.url,
    getToken: async ({ fresh }) => {
      tokenCalls.push(fresh);
      tokenCount += 1;
      return `token-${tokenCount}`;
    },
    onEvent: (event) => events.push(event),
    onStatus: (status) => statuses.push(status),
    backoff: { baseMs: 10, maxMs: 40 },
    ...overrides,
  });
  cleanup.push(
    () => client.stop(),
    () => srv.server.stop(true),
  );
  return { ...srv, client, events, statuses, tokenCalls };
}

describe("realtimeUrl", () => {
  test("maps http(s) to ws(s) and appends /realtime", () => {
    expect(realtimeUrl("http://localhost:8000")).toBe("ws://localhost:8000/realtime");
    expect(realtimeUrl("https://api.example.com/base/")).toBe(
      "wss://api.example.com/base/realtime",
    );
  });
});

describe("RealtimeClient", () => {
  test("authenticates with the first frame and holds chats until ready", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "a connection");
    await t.until(() => conn.frames.length === 1, "auth frame");
    t.client.sendChat({ text: "hello", clientMsgId: "c1" });
    expect(conn.frames).toEqual([{ type: "auth", token: "token-1" }]);
    ready(conn);
    await t.until(() => conn.frames.length === 2, "the queued chat");
    expect(conn.frames[1]).toEqual({ type: "chat", text: "hello", clientMsgId: "c1" });
    expect(t.statuses).toEqual(["connecting", "connected"]);
    expect(t.events.map((e) => e.type)).toEqual(["ready"]);
  });

  test("skips frames it cannot parse and keeps going", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "a connection");
    conn.ws.send("not json");
    send(conn, { type: "mystery" });
    ready(conn);
    send(conn, { type: "pong" });
    await t.until(() => t.events.length === 2, "two events");
    expect(t.events.map((e) => e.type)).toEqual(["ready", "pong"]);
  });

  test("after close 4401 it reconnects at once with a fresh token", async () => {
    const t = setup();
    t.client.start();
    const first = await t.until(() => t.conns[0], "first connection");
    await t.until(() => first.frames.length === 1, "auth");
    first.ws.close(4401, "token expired");
    const second = await t.until(() => t.conns[1], "second connection");
    await t.until(() => second.frames.length === 1, "second auth");
    expect(second.frames[0]).toEqual({ type: "auth", token: "token-2" });
    expect(t.tokenCalls).toEqual([false, true]);
  });

  test("gives up as signed-out after repeated 4401s", async () => {
    const t = setup({ maxUnauthorized: 2 });
    t.client.start();
    for (let i = 0; i < 3; i++) {
      const conn = await t.until(() => t.conns[i], `connection ${i}`);
      await t.until(() => conn.frames.length === 1, "auth");
      conn.ws.close(4401, "no");
    }
    await t.until(() => t.statuses.at(-1) === "signed-out", "signed-out");
    expect(t.conns.length).toBe(3);
  });

  test("an outage (1013, 1011) is retried with backoff, never taken as signed out", async () => {
    const t = setup({ maxUnauthorized: 1 });
    t.client.start();
    for (let i = 0; i < 6; i++) {
      const conn = await t.until(() => t.conns[i], `connection ${i}`);
      await t.until(() => conn.frames.length === 1, "auth");
      conn.ws.close(i % 2 === 0 ? 1013 : 1011, "database unavailable");
    }
    const last = await t.until(() => t.conns[6], "a seventh try");
    ready(last);
    await t.until(() => t.statuses.at(-1) === "connected", "connected again");
    expect(t.statuses).not.toContain("signed-out");
    expect(t.statuses).toContain("reconnecting");
    // The same token each time: an outage is no reason to ask for a new one.
    expect(t.tokenCalls.every((fresh) => !fresh)).toBe(true);
  });

  test("after a drop it resumes where the transcript is complete and re-sends unacknowledged chats", async () => {
    let afterSeq = 4;
    const t = setup({ resumePoint: () => ({ sessionId, afterSeq }) });
    t.client.start();
    const first = await t.until(() => t.conns[0], "first connection");
    ready(first);
    await t.until(() => first.frames.length === 2, "resume on first connect");
    expect(first.frames[1]).toEqual({ type: "resume", sessionId, afterSeq: 4 });

    t.client.sendChat({ sessionId, text: "acknowledged", clientMsgId: "a" });
    t.client.sendChat({ sessionId, text: "lost", clientMsgId: "b" });
    await t.until(() => first.frames.length === 4, "two chats");
    send(first, { type: "run.started", runId, sessionId, clientMsgId: "a", seq: 6 });
    await t.until(() => t.events.length === 2, "run.started");

    t.client.sendChat({ sessionId, text: "stored, echo lost", clientMsgId: "c" });
    await t.until(() => first.frames.length === 5, "third chat");

    afterSeq = 5;
    first.ws.terminate();
    const second = await t.until(() => t.conns[1], "reconnection");
    ready(second);
    await t.until(() => second.frames.length === 3, "auth, resume, ping");
    expect(second.frames.slice(1)).toEqual([
      { type: "resume", sessionId, afterSeq: 5 },
      { type: "ping" },
    ]);
    // The replay shows "c" was stored before the drop; only "b" is sent again.
    send(second, {
      type: "message",
      sessionId,
      message: {
        id: "55555555-5555-4555-8555-555555555555",
        seq: 8,
        role: "user",
        content: "stored, echo lost",
        status: "complete",
        runId: null,
        clientMsgId: "c",
        createdAt: "2026-01-01T00:00:00Z",
      },
    });
    send(second, { type: "pong" });
    await t.until(() => second.frames.length === 4, "the re-sent chat");
    await Bun.sleep(50);
    expect(second.frames.slice(3)).toEqual([
      { type: "chat", sessionId, text: "lost", clientMsgId: "b" },
    ]);
    expect(t.statuses).toContain("reconnecting");
    expect(t.statuses.at(-1)).toBe("connected");
  });

  test("a regenerate is re-sent after a drop until acknowledged; a refused one is dropped", async () => {
    const t = setup({ resumePoint: () => ({ sessionId, afterSeq: 2 }) });
    t.client.start();
    const first = await t.until(() => t.conns[0], "first connection");
    ready(first);
    await t.until(() => t.statuses.includes("connected"), "connected");
    t.client.sendRegenerate({ sessionId, clientMsgId: "again" });
    t.client.sendRegenerate({ sessionId, clientMsgId: "refused" });
    await t.until(() => first.frames.length === 4, "auth, resume and two regenerates");
    expect(first.frames[2]).toEqual({ type: "regenerate", sessionId, clientMsgId: "again" });
    send(first, { type: "error", code: "busy", message: "busy", clientMsgId: "refused" });
    await t.until(() => t.events.some((e) => e.type === "error"), "the refusal");
    first.ws.terminate();
    const second = await t.until(() => t.conns[1], "reconnection");
    ready(second);
    await t.until(() => second.frames.length === 3, "auth, resume, ping");
    send(second, { type: "pong" });
    await t.until(() => second.frames.length === 4, "the re-sent regenerate");
    await Bun.sleep(50);
    expect(second.frames.slice(3)).toEqual([
      { type: "regenerate", sessionId, clientMsgId: "again" },
    ]);
  });

  test("a decision on a tool call is re-sent after a drop until recorded; a final refusal is dropped", async () => {
    const t = setup({ resumePoint: () => ({ sessionId, afterSeq: 1 }) });
    t.client.start();
    const first = await t.until(() => t.conns[0], "first connection");
    ready(first);
    await t.until(() => t.statuses.includes("connected"), "connected");
    const decision = (callId: string) => ({ runId, callId, decision: "approve" as const });
    t.client.sendApproval(decision("recorded"));
    t.client.sendApproval({ runId, callId: "refused", decision: "reject", reason: "keep it" });
    t.client.sendApproval(decision("lost"));
    await t.until(() => first.frames.length === 5, "auth, resume and three decisions");
    expect(first.frames.slice(2)).toEqual([
      { type: "approval", ...decision("recorded") },
      { type: "approval", runId, callId: "refused", decision: "reject", reason: "keep it" },
      { type: "approval", ...decision("lost") },
    ]);
    // Recorded (the card's decision reached the session), and refused for good (decided elsewhere).
    send(first, {
      type: "approval.decided",
      runId,
      sessionId,
      callId: "recorded",
      decision: "approved",
    });
    send(first, { type: "error", code: "conflict", message: "decided", runId, callId: "refused" });
    await t.until(() => t.events.length === 3, "the decision and the refusal");
    // A refusal that says nothing of the call (the database was down) leaves it queued.
    send(first, { type: "error", code: "unavailable", message: "down" });
    await t.until(() => t.events.length === 4, "the outage");
    first.ws.terminate();
    const second = await t.until(() => t.conns[1], "reconnection");
    ready(second);
    await t.until(() => second.frames.length === 3, "auth, resume, ping");
    send(second, { type: "pong" });
    await t.until(() => second.frames.length === 4, "the re-sent decision");
    await Bun.sleep(50);
    expect(second.frames.slice(3)).toEqual([{ type: "approval", ...decision("lost") }]);
  });

  test("close 4410 (the account was deleted) stops for good: no reconnect", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "connection");
    ready(conn);
    await t.until(() => t.statuses.includes("connected"), "connected");
    t.client.sendChat({ text: "never sent again", clientMsgId: "late" });
    conn.ws.close(4410, "This account was deleted.");
    await t.until(() => t.statuses.at(-1) === "account-deleted", "account-deleted");
    await Bun.sleep(100);
    expect(t.conns.length).toBe(1);
  });

  test("close 4430 (too many sockets of this person) stops: no reconnect loop", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "connection");
    conn.ws.close(4430, "Too many open tabs or devices on this account.");
    await t.until(() => t.statuses.at(-1) === "too-many-connections", "too-many-connections");
    await Bun.sleep(100);
    expect(t.conns.length).toBe(1);
  });

  test("a chat a budget refused is never sent again by itself, not even after a drop", async () => {
    const t = setup();
    t.client.start();
    const first = await t.until(() => t.conns[0], "first connection");
    ready(first);
    t.client.sendChat({ text: "one more", clientMsgId: "r" });
    await t.until(() => first.frames.length === 2, "the chat");
    send(first, {
      type: "error",
      code: "budget_exceeded",
      message: "Not enough of today's budget is left.",
      clientMsgId: "r",
      limit: "daily_tokens",
      resetsAt: "2026-12-02T00:00:00.000Z",
    });
    await t.until(() => t.events.length === 2, "the refusal");
    // Its details reach the page.
    expect(t.events[1]).toMatchObject({
      limit: "daily_tokens",
      resetsAt: "2026-12-02T00:00:00.000Z",
    });
    first.ws.terminate();
    const second = await t.until(() => t.conns[1], "reconnection");
    ready(second);
    await t.until(() => t.events.length === 3, "ready again");
    // Frames arrive in order: anything re-sent on reconnecting comes before this one.
    t.client.cancel(runId);
    await t.until(() => second.frames.some((frame) => frame.type === "cancel"), "the cancel");
    expect(second.frames.map((frame) => frame.type)).toEqual(["auth", "cancel"]);
  });

  test("stop() closes the socket and never reconnects", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "connection");
    ready(conn);
    await t.until(() => t.statuses.includes("connected"), "connected");
    const closed = new Promise<number>((resolve) => {
      const original = conn.ws;
      const check = setInterval(() => {
        if (original.readyState === 3) {
          clearInterval(check);
          resolve(original.readyState);
        }
      }, 10);
    });
    t.client.stop();
    await closed;
    await Bun.sleep(100);
    expect(t.conns.length).toBe(1);
    expect(t.client.cancel(runId)).toBe(false);
  });

  test("a missing session token means signed-out, without opening a socket", async () => {
    const t = setup({ getToken: async () => null });
    t.client.start();
    await t.until(() => t.statuses.at(-1) === "signed-out", "signed-out");
    expect(t.conns.length).toBe(0);
  });

  test("cancel sends the run id once connected", async () => {
    const t = setup();
    t.client.start();
    const conn = await t.until(() => t.conns[0], "connection");
    ready(conn);
    await t.until(() => t.statuses.includes("connected"), "connected");
    expect(t.client.cancel(runId)).toBe(true);
    await t.until(() => conn.frames.length === 2, "cancel frame");
    expect(conn.frames[1]).toEqual({ type: "cancel", runId });
  });

  test("renews the token on the open socket shortly before it expires", async () => {
    const jwt = (exp: number, n: number) =>
      `h.${btoa(JSON.stringify({ exp, n })).replaceAll("=", "")}.s`;
    const soon = Math.floor(Date.now() / 1000) + 2;
    const tokens = [jwt(soon, 1), jwt(soon, 1), jwt(soon + 3600, 2)];
    const asked: boolean[] = [];
    const t = setup({
      getToken: async ({ fresh }) => {
        asked.push(fresh);
        return tokens.shift() ?? null;
      },
      // Due at once: the first renewal returns the same token, the retry a new one.
      reauthMarginMs: 5_000,
    });
    t.client.start();
    const conn = await t.until(() => t.conns[0], "connection");
    ready(conn);
    await t.until(() => conn.frames.length === 2, "a second auth frame");
    expect(conn.frames[1]).toEqual({ type: "auth", token: jwt(soon + 3600, 2) });
    expect(asked.every((fresh) => !fresh)).toBe(true);
    expect(t.conns.length).toBe(1);
  });
});

describe("tokenExpiry", () => {
  test("reads exp from a JWT payload, null for anything else", () => {
    const payload = btoa(JSON.stringify({ exp: 1234, sub: "ü" })).replaceAll("=", "");
    expect(tokenExpiry(`a.${payload}.c`)).toBe(1234);
    expect(tokenExpiry("not-a-jwt")).toBeNull();
    expect(tokenExpiry("a.!!!.c")).toBeNull();
  });
});
