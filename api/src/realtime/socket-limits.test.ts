/**
 * Limits on sockets beyond the frame: one person's sockets on a process are capped (the new
 * one closes with 4430, which the web does not retry), sockets not yet signed in are capped
 * per address, and a reader that stops reading is closed (4408) without hurting anyone else.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import net from "node:net";
import { closeCodes } from "@trainer2/shared/failures";
import { startTestApi, type TestApi } from "../testing/index.ts";
import { openSocket, type TestSocket } from "../testing/test-socket.ts";
import { defaultRealtimeOptions } from "./context.ts";

setDefaultTimeout(120_000);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    realtime: {
      maxUnauthenticatedPerIp: 5,
      authTimeoutMs: 60_000,
      sendBufferLimitBytes: 256 * 1024,
    },
  });
});
afterAll(async () => {
  await api.close();
});

/** Resolves with "ready", or the close code if the socket closed first. */
async function outcome(socket: TestSocket): Promise<"ready" | number> {
  return Promise.race([
    socket.next("ready").then(() => "ready" as const),
    socket.closed.then(({ code }) => code),
  ]).catch(async () => (await socket.closed).code);
}

test("300 sockets of one person end with at most the cap open; the rest are told 4430", async () => {
  const cap = defaultRealtimeOptions.maxSocketsPerUser;
  expect(cap).toBe(20);
  const token = await api.identity.mintIdToken({ email: "many@example.com", sub: "many" });
  const sockets = await Promise.all(
    Array.from({ length: 300 }, () => openSocket(`${api.wsUrl}?token=${token}`)),
  );
  const outcomes = await Promise.all(sockets.map(outcome));
  const ready = sockets.filter((_, i) => outcomes[i] === "ready");
  expect(ready.length).toBeLessThanOrEqual(cap);
  expect(ready.length).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o !== "ready")).toEqual(
    Array(300 - ready.length).fill(closeCodes.tooManyConnections),
  );
  const users = await api.sql<
    { id: string }[]
  >`select id from users where email = 'many@example.com'`;
  const id = users[0]!.id;
  expect(api.app.hub.socketsOf(id)).toBe(ready.length);
  // The open ones still work; another person is not affected.
  expect(await ready[0]!.drain()).toEqual([]);
  const other = await api.identity.mintIdToken({ email: "other@example.com", sub: "other" });
  const theirs = await openSocket(`${api.wsUrl}?token=${other}`);
  expect(await outcome(theirs)).toBe("ready");
  // A closed socket gives its place back.
  ready[0]!.close();
  await ready[0]!.closed;
  for (let i = 0; i < 200 && api.app.hub.socketsOf(id) >= cap; i++) await Bun.sleep(10);
  const again = await openSocket(`${api.wsUrl}?token=${token}`);
  expect(await outcome(again)).toBe("ready");
  for (const socket of [...sockets, theirs, again]) socket.close();
});

test("sockets not signed in are capped per address; signing in frees the place", async () => {
  const waiting = await Promise.all(Array.from({ length: 5 }, () => openSocket(api.wsUrl)));
  const refused = await openSocket(api.wsUrl);
  expect((await refused.closed).code).toBe(closeCodes.rateLimited);
  const token = await api.identity.mintIdToken({ email: "slots@example.com", sub: "slots" });
  waiting[0]!.send({ type: "auth", token });
  await waiting[0]!.next("ready");
  const next = await openSocket(api.wsUrl);
  next.send({ type: "auth", token });
  expect(await outcome(next)).toBe("ready");
  for (const socket of [...waiting, next]) socket.close();
});

test("a reader that stops reading is closed (4408); another socket is not affected", async () => {
  const slowToken = await api.identity.mintIdToken({ email: "slow@example.com", sub: "slow" });
  const port = new URL(api.url).port;
  // A raw client that upgrades, then never reads again.
  const raw = net.connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve) => raw.once("connect", () => resolve()));
  raw.write(
    `GET /realtime?token=${slowToken} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  const id = await (async () => {
    for (;;) {
      const rows = await api.sql<
        { id: string }[]
      >`select id from users where email = 'slow@example.com'`;
      if (rows[0] && api.app.hub.socketsOf(rows[0].id) === 1) return rows[0].id;
      await Bun.sleep(10);
    }
  })();
  raw.pause();
  const fineToken = await api.identity.mintIdToken({ email: "fine@example.com", sub: "fine" });
  const fine = await openSocket(`${api.wsUrl}?token=${fineToken}`);
  await fine.next("ready");
  // Large events for the stalled person, as a long answer's catch-up would be.
  const big = { type: "error" as const, code: "internal" as const, message: "x".repeat(60_000) };
  for (let i = 0; i < 2000 && api.app.hub.socketsOf(id) > 0; i++) {
    api.app.hub.toUser(id, big);
    await Bun.sleep(1);
  }
  expect(api.app.hub.socketsOf(id)).toBe(0);
  // The other person's socket is open and answers.
  expect(await fine.drain()).toEqual([]);
  fine.close();
  raw.destroy();
});
