/**
 * The bus between api processes on a real Postgres (LISTEN/NOTIFY): a burst is coalesced
 * into few notifications and arrives complete and in order; a message larger than NOTIFY's
 * 8000 bytes is split and put together again (multi-byte text included); every payload
 * stays under the limit; and after the listening connection is lost, `onReconnect` runs
 * (where the api re-reads what it may have missed) and messages flow again. What arrives is
 * input from outside: a forged, junk, malformed or replayed NOTIFY changes nothing, throws
 * nothing, and is counted on /metrics.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { registerBusMetrics } from "@trainer2/api/cluster/bus-metrics";
import { busKeyFrom, seal } from "@trainer2/api/cluster/bus-seal";
import { busChannel, PostgresBus } from "@trainer2/api/cluster/postgres-bus";
import { createSql, type Sql } from "@trainer2/db";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { createLogger } from "@trainer2/shared/logger";
import type { ServerEvent } from "@trainer2/shared/wire";
import { realPostgresServer } from "@trainer2/testkit/postgres-cluster";
import { Registry } from "prom-client";

setDefaultTimeout(60_000);

const logger = createLogger({ service: "api", level: "silent" });
let server: Awaited<ReturnType<typeof realPostgresServer>>;
let sqlA: Sql;
let sqlB: Sql;
let a: PostgresBus;
let b: PostgresBus;
/** The key both buses derive from the api's private key, as every api process does. */
let key: Buffer;
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
  key = busKeyFrom((await generatePemKeyPair()).privateKey);
  a = new PostgresBus(sqlA, logger, { key });
  b = new PostgresBus(sqlB, logger, { key });
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
  // Signed with the shared key, as a peer's part is (an unsigned one would be dropped).
  const part = {
    p: "another-process",
    n: 1,
    at: Date.now(),
    c: "another-process:1",
    i: 0,
    k: 2,
    d: '{"t":',
  };
  await sqlA`select pg_notify(${busChannel}, ${seal(key, JSON.stringify(part))})`;
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

test("forged, junk, malformed and replayed NOTIFYs change nothing, throw nothing, and are counted", async () => {
  const registry = new Registry();
  registerBusMetrics(registry, b);
  const before = b.stats().dropped;
  const count = received.length;
  const userId = crypto.randomUUID();
  const notify = (payload: string) => sqlA`select pg_notify(${busChannel}, ${payload})`;
  const signed = (body: unknown) => notify(seal(key, JSON.stringify(body)));
  const header = () => ({ p: "forger", n: Date.now(), at: Date.now() });

  // What a plain database login could send: the forged close, and junk. No signature.
  await notify(
    JSON.stringify({ p: "x", n: 1, b: [{ t: "close", u: userId, c: "account_deleted" }] }),
  );
  for (const junk of ["null", '{"b":1}', "not json", "", `${"a".repeat(43)}.{}`])
    await notify(junk);
  // Signed (as if the key leaked into a bug), but not of the bus's shapes: each is refused.
  await signed(null);
  await signed({ b: 1 });
  await signed({ ...header(), c: "x:1", i: 1_000_000_000, k: 2, d: "{" }); // index out of range
  await signed({ ...header(), c: "x:2", i: 0, k: 1_000_000_000, d: "{" }); // too many parts
  await signed({ ...header(), b: [{ t: "close", u: userId, c: "not_a_code" }] });
  // Signed and well formed, but too old: a payload copied from the channel an hour ago.
  await signed({ p: "old", n: 1, at: Date.now() - 3_600_000, b: [{ t: "hello" }] });
  // A real payload of A's, sent again as a copy from the channel: already seen.
  a.send({ t: "state", u: userId });
  await until(() => received.length > count, "A's message");
  // The third listener hears it on its own connection, maybe a moment after B.
  await until(() => payloads.some((payload) => payload.includes(userId)), "A's payload");
  const original = payloads.findLast((payload) => payload.includes(userId));
  expect(original).toBeDefined();
  await notify(original as string);

  const dropped = () => {
    const now = b.stats().dropped;
    return {
      unauthenticated: now.unauthenticated - before.unauthenticated,
      invalid: now.invalid - before.invalid,
      stale: now.stale - before.stale,
    };
  };
  // At least these: api processes of other test files on this database may still be saying
  // goodbye with keys of their own, which count as unauthenticated here too.
  const expected = { unauthenticated: 6, invalid: 5, stale: 2 };
  const counted = () =>
    dropped().unauthenticated >= expected.unauthenticated &&
    dropped().invalid >= expected.invalid &&
    dropped().stale >= expected.stale;
  await until(counted, "every bad payload counted");
  expect(counted()).toBe(true);
  // Only A's real message was delivered, once.
  expect(received.slice(count)).toEqual([{ t: "state", u: userId, p: a.processId }]);
  const text = await registry.metrics();
  expect(text).toContain(
    `bus_messages_dropped_total{reason="unauthenticated"} ${b.stats().dropped.unauthenticated}`,
  );

  // The bus still works after all of it.
  a.send({ t: "state", u: userId, s: sessionId });
  await until(() => received.length > count + 1, "a message after the junk");
  expect(received.at(-1)).toEqual({ t: "state", u: userId, s: sessionId, p: a.processId });
});
