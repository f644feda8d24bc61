import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeCodes } from "@trainer2/shared/failures";
import { badTokens, devLoginToken } from "../testing/bad-tokens.ts";
import { startTestApi, type TestApi } from "../testing/index.ts";
import { openSocket } from "../testing/test-socket.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    realtime: { authTimeoutMs: 300, maxBadFrames: 3, framesPerSecond: 2, frameBurst: 20 },
  });
});
afterAll(async () => {
  await api.close();
});

describe("socket sign-in", () => {
  test("a valid query token gets ready with the user", async () => {
    const token = await api.identity.mintIdToken({ email: "ready@example.com", sub: "ready" });
    const socket = await openSocket(`${api.wsUrl}?token=${token}`);
    const ready = await socket.next();
    expect(ready).toMatchObject({
      type: "ready",
      sessionId: null,
      user: { email: "ready@example.com" },
    });
    socket.close();
  });

  test("a valid first auth frame gets ready; a frame sent right after is answered after it", async () => {
    const token = await api.identity.mintIdToken({ email: "frame@example.com", sub: "frame" });
    const socket = await openSocket(api.wsUrl);
    socket.send({ type: "auth", token });
    socket.send({ type: "ping" });
    expect((await socket.next()).type).toBe("ready");
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  test("ws_connections_open counts a socket from open to close, signed in or refused", async () => {
    // Its own api: sockets of the other tests may still be closing on the shared one.
    const own = await startTestApi();
    const open = async () => (await own.app.metrics.wsConnectionsOpen.get()).values[0]?.value;
    try {
      expect(await open()).toBe(0);
      const token = await own.identity.mintIdToken({ email: "gauge@example.com", sub: "gauge" });
      const socket = await openSocket(`${own.wsUrl}?token=${token}`);
      await socket.next("ready");
      const refused = await openSocket(`${own.wsUrl}?token=not-a-token`);
      expect((await refused.closed).code).toBe(closeCodes.unauthorized);
      expect(await open()).toBe(1);
      socket.close();
      await socket.closed;
      // The server sees the close a moment after the client does.
      for (let i = 0; i < 100 && (await open()) !== 0; i++) await Bun.sleep(10);
      expect(await open()).toBe(0);
    } finally {
      await own.close();
    }
  });

  test("dev-login tokens are accepted when dev login is on", async () => {
    const token = await devLoginToken(api.keys.devLoginPrivateKey, "Dev@Example.com");
    const socket = await openSocket(`${api.wsUrl}?token=${token}`);
    expect(await socket.next("ready")).toMatchObject({ user: { email: "dev@example.com" } });
    socket.close();
  });

  test("no token and no auth frame: closed 4401 after the auth timeout", async () => {
    const socket = await openSocket(api.wsUrl);
    expect((await socket.closed).code).toBe(closeCodes.unauthorized);
  });

  test("a first frame that is not auth: closed 4401", async () => {
    const socket = await openSocket(api.wsUrl);
    socket.send({ type: "ping" });
    expect((await socket.closed).code).toBe(closeCodes.unauthorized);
    expect(socket.events).toEqual([]);
  });

  test("every bad token is refused with 4401, in the query and in an auth frame", async () => {
    for (const { name, token, reason } of await badTokens(api)) {
      const viaQuery = await openSocket(`${api.wsUrl}?token=${encodeURIComponent(token)}`);
      const queryClose = await viaQuery.closed;
      expect({ name, code: queryClose.code, events: viaQuery.events }).toEqual({
        name,
        code: closeCodes.unauthorized,
        events: [],
      });
      expect({ name, why: queryClose.reason }).toEqual({
        name,
        why: expect.stringContaining(reason),
      });
      const viaFrame = await openSocket(api.wsUrl);
      viaFrame.send({ type: "auth", token });
      const frameClose = await viaFrame.closed;
      expect({ name, code: frameClose.code, events: viaFrame.events }).toEqual({
        name,
        code: closeCodes.unauthorized,
        events: [],
      });
    }
    const rows = await api.sql`select 1 from users where subject in ('someone', 'admin')`;
    expect(rows.length).toBe(0);
  });

  test("a token that expires while the socket is open closes it with 4401", async () => {
    const token = await api.identity.mintIdToken({ sub: "short", expiresInSeconds: 2 });
    const socket = await openSocket(`${api.wsUrl}?token=${token}`);
    await socket.next("ready");
    const closed = await socket.closed;
    expect(closed.code).toBe(closeCodes.unauthorized);
    expect(closed.reason).toContain("expired");
  });

  test("a fresh auth frame extends the socket's life; another user's token closes it", async () => {
    const short = await api.identity.mintIdToken({ sub: "refresh", expiresInSeconds: 2 });
    const socket = await openSocket(`${api.wsUrl}?token=${short}`);
    await socket.next("ready");
    socket.send({ type: "auth", token: await api.identity.mintIdToken({ sub: "refresh" }) });
    await Bun.sleep(2500);
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.send({ type: "auth", token: await api.identity.mintIdToken({ sub: "intruder" }) });
    expect((await socket.closed).code).toBe(closeCodes.unauthorized);
  });
});

describe("keep-alive", () => {
  test("the server pings an idle socket", async () => {
    const quick = await startTestApi({ realtime: { pingIntervalMs: 50 } });
    try {
      const token = await quick.identity.mintIdToken();
      const ws = new WebSocket(`${quick.wsUrl}?token=${token}`);
      // Bun's client surfaces protocol pings as a "ping" event.
      const pinged = new Promise<void>((resolve) =>
        ws.addEventListener("ping" as never, () => resolve()),
      );
      await pinged;
      ws.close();
    } finally {
      await quick.close();
    }
  });
});

describe("frames", () => {
  async function signedIn() {
    const token = await api.identity.mintIdToken({ sub: `frames-${crypto.randomUUID()}` });
    const socket = await openSocket(`${api.wsUrl}?token=${token}`);
    await socket.next("ready");
    return socket;
  }

  test("a bad frame gets an error naming the problem and the socket stays usable", async () => {
    const socket = await signedIn();
    socket.send("this is not json");
    expect(await socket.next()).toMatchObject({ type: "error", code: "bad_request" });
    socket.send({ type: "chat", clientMsgId: "x" } as never);
    const error = await socket.next();
    expect(error).toMatchObject({ type: "error", code: "bad_request" });
    expect((error as { message: string }).message).toContain("text");
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  test("a NUL in a chat frame is a bad_request naming the field; nothing is stored", async () => {
    const socket = await signedIn();
    socket.send({ type: "chat", text: "hi\u0000there", clientMsgId: "n1" });
    expect(await socket.next()).toEqual({
      type: "error",
      code: "bad_request",
      message: "text: must not contain NUL characters",
    });
    socket.send({ type: "chat", text: "hi", clientMsgId: "n\u0000" });
    expect(await socket.next()).toMatchObject({
      type: "error",
      message: expect.stringMatching(/^clientMsgId:/),
    });
    expect(await socket.drain()).toEqual([]);
    expect(await api.sql`select 1 from messages`).toHaveLength(0);
    socket.close();
  });

  test("repeated bad frames close the socket with 4400", async () => {
    const socket = await signedIn();
    for (let i = 0; i < 3; i++) socket.send({ type: "nope" } as never);
    expect((await socket.closed).code).toBe(closeCodes.protocol);
  });

  test("a flood of frames closes the socket with 4429", async () => {
    const socket = await signedIn();
    for (let i = 0; i < 60; i++) socket.send({ type: "ping" });
    expect((await socket.closed).code).toBe(closeCodes.rateLimited);
  });
});
