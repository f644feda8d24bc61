/**
 * The bus between api processes on a real Postgres (LISTEN/NOTIFY): a burst is coalesced
 * into few notifications and arrives complete and in order; a message larger than NOTIFY's
 * 8000 bytes is split and put together again (multi-byte text included); every payload
 * stays under the limit; and after the listening connection is lost, `onReconnect` runs
 * (where the api re-reads what it may have missed) and messages flow again.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { busChannel, PostgresBus } from "@trainer2/api/cluster/postgres-bus";
import { createSql, type Sql } from "@trainer2/db";
import { createLogger } from "@trainer2/shared/logger";
import type { ServerEvent } from "@trainer2/shared/wire";
import { realPostgresServer } from "@trainer2/testkit/postgres-cluster";

setDefaultTimeout(60_000);

const logger = createLogger({ service: "api", level: "silent" });
let server: Awaited<ReturnType<typeof realPostgresServer>>;
let sqlA: Sql;
let sqlB: Sql;
let a: PostgresBus;
let b: PostgresBus;
const received: unknown[] = [];
/** Every raw payload on the channel, as a third listener sees it. */
const payloads: string[] = [];

beforeAll(async () => {
  server = await realPostgresServer();
  sqlA = createSql(server.url, { max: 2 });
  // Named, so the reconnect test can end exactly B's connections.
  const urlB = new URL(server.url);
  urlB.searchParams.set("application_name", "bus-b");
  sqlB = createSql(urlB.toString(), { max: 2 });
  a = new PostgresBus(sqlA, logger);
  b = new PostgresBus(sqlB, logger);
  b.onMessage((message) => received.push(message));
  await sqlA.listen(busChannel, (payload) => payloads.push(payload));
  await Promise.all([a.start(), b.start()]);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await sqlA?.end({ timeout: 1 });
  await sqlB?.end({ timeout: 1 });
  await server?.close();
});

const sessionId = crypto.randomUUID();
const runId = crypto.randomUUID();
const delta = (seq: number, offset: number, text: string): ServerEvent => ({
  type: "delta",
  runId,
  sessionId,
  seq,
  offset,
  text,
});

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

test("a burst arrives whole and in order; a message over 8000 bytes is split and rejoined", async () => {
  // 30,000 characters with two- and three-byte ones: about 60 KB of UTF-8 in one message.
  const big = "é✓ run ".repeat(5_000);
  const before = a.stats();
  const sent: unknown[] = [];
  const send = (text: string, index: number) => {
    const message = {
      t: "events" as const,
      s: sessionId,
      u: "user",
      e: [delta(2, index, text)],
      to: [b.processId],
    };
    sent.push(message);
    a.send(message);
  };
  for (let index = 0; index < 300; index += 1) send(`word ${index} `, index);
  send(big, 300);
  for (let index = 301; index < 320; index += 1) send(`after ${index} `, index);
  await until(() => received.length >= sent.length, "every message");
  expect(received).toEqual(sent.map((message) => ({ ...(message as object), p: a.processId })));
  const stats = a.stats();
  // Coalesced: far fewer notifications than messages, though the big one took several.
  expect(stats.notifications - before.notifications).toBeLessThan(sent.length / 4);
  expect(stats.notifications - before.notifications).toBeGreaterThan(big.length / 1800);
  const sizes = payloads.map((payload) => Buffer.byteLength(payload, "utf8"));
  expect(Math.max(...sizes)).toBeLessThan(8000);
});

test("after the listening connection is lost, onReconnect runs and messages flow again", async () => {
  let reconnected = 0;
  b.onReconnect(() => {
    reconnected += 1;
  });
  // The first of two parts of a split message, the second never sent (as if the link broke
  // between them): held until the reconnect, then dropped (the reconnect re-reads instead).
  const part = { p: "another-process", n: 1, c: "another-process:1", i: 0, k: 2, d: '{"t":' };
  await sqlA`select pg_notify(${busChannel}, ${JSON.stringify(part)})`;
  await until(() => b.partialMessages() === 1, "the first part held");
  // Ends B's listening connection: postgres.js reconnects it and listens again.
  const ended = await sqlA<{ pid: number }[]>`
    select pid from pg_stat_activity
    where application_name = 'bus-b' and query ilike 'listen%' and pg_terminate_backend(pid)`;
  expect(ended.length).toBe(1);
  await until(() => reconnected > 0, "onReconnect");
  expect(b.partialMessages()).toBe(0);
  const count = received.length;
  a.send({ t: "state", u: "user", s: sessionId });
  await until(() => received.length > count, "a message after the reconnect");
  expect(received.at(-1)).toEqual({ t: "state", u: "user", s: sessionId, p: a.processId });
});
