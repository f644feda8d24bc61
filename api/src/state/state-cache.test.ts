/**
 * Kept `state` snapshots: served again only while current, whoever wrote in between (this
 * api, another process's connection, psql), and the checks of requests arriving together
 * share one statement.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSql, type Sql } from "@trainer2/db";
import { insertTurn } from "@trainer2/db/queries/messages";
import { createSession } from "@trainer2/db/queries/sessions";
import { type State, stateDto } from "@trainer2/shared/wire";
import { manual } from "../testing/agent-double.ts";
import type { TestApi } from "../testing/index.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import { loadStampedState } from "./load-state.ts";
import { createStateCache } from "./state-cache.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;
let api: TestApi;
/** Another connection to the same database: what another api process or psql writes with. */
let elsewhere: Sql;

beforeAll(async () => {
  stage = await startRealtimeStage();
  api = stage.api;
  elsewhere = createSql(api.db.url, { max: 1 });
});
afterAll(async () => {
  await elsewhere?.end();
  await stage?.close();
});

async function signedIn() {
  const token = await api.identity.mintIdToken({ sub: `cache-${crypto.randomUUID()}` });
  const read = async (query = ""): Promise<State> => {
    const response = await fetch(`${api.url}/state${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return stateDto.parse(await response.json());
  };
  const userId = (await read()).user.id;
  return { read, userId };
}

/** The api's `state_snapshots_total` by how each was served. */
async function served(): Promise<{ kept: number; read: number }> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const count = (served: string) =>
    Number(
      text.match(new RegExp(`state_snapshots_total\\{served="${served}"[^}]*\\} (\\d+)`))?.[1],
    );
  return { kept: count("kept"), read: count("read") };
}

describe("GET /state serves a kept snapshot while nothing it shows changed", () => {
  test("the second read is the kept one, and the same", async () => {
    const { read } = await signedIn();
    const first = await read();
    const before = await served();
    expect(await read()).toEqual(first);
    const after = await served();
    expect(after.kept - before.kept).toBe(1);
    expect(after.read - before.read).toBe(0);
  });

  test("a write from another connection shows on the very next read", async () => {
    const { read, userId } = await signedIn();
    const session = await createSession(api.sql, userId, "mine");
    expect((await read()).session?.title).toBe("mine");

    await elsewhere`update chat_sessions set title = 'renamed elsewhere' where id = ${session.id}`;
    expect((await read()).session?.title).toBe("renamed elsewhere");

    await elsewhere`update users set name = 'Someone Else' where id = ${userId}`;
    expect((await read()).user.name).toBe("Someone Else");

    await elsewhere`insert into workouts (user_id, performed_on, kind, duration_min)
      values (${userId}, current_date, 'run', 25)`;
    expect((await read()).workouts.map((w) => w.durationMin)).toEqual([25]);

    await elsewhere.begin((tx) =>
      insertTurn(tx, {
        sessionId: session.id,
        text: "written elsewhere",
        clientMsgId: crypto.randomUUID(),
        runId: crypto.randomUUID(),
      }),
    );
    const messages = (await read(`?sessionId=${session.id}`)).session?.messages ?? [];
    expect(messages.map((m) => m.content)).toContain("written elsewhere");

    await elsewhere`delete from workouts where user_id = ${userId}`;
    expect((await read()).workouts).toEqual([]);
  });

  test("each session's snapshot is kept apart; another user's write leaves them kept", async () => {
    const { read, userId } = await signedIn();
    const other = await signedIn();
    const [a, b] = [
      await createSession(api.sql, userId, "a"),
      await createSession(api.sql, userId, "b"),
    ];
    expect((await read(`?sessionId=${a.id}`)).session?.id).toBe(a.id);
    expect((await read(`?sessionId=${b.id}`)).session?.id).toBe(b.id);
    await elsewhere`update users set name = 'Other' where id = ${other.userId}`;
    const before = await served();
    expect((await read(`?sessionId=${a.id}`)).session?.id).toBe(a.id);
    expect((await read(`?sessionId=${b.id}`)).session?.id).toBe(b.id);
    expect((await served()).kept - before.kept).toBe(2);
  });
});

describe("what only this process knows goes on top of the kept snapshot", () => {
  test("a run of this process shows as it is now on every read, then as it ended", async () => {
    const { socket, token } = await stage.signedIn();
    stage.agent.setScript(manual);
    socket.send({ type: "chat", text: "tell me", clientMsgId: "overlay" });
    const { sessionId } = await socket.next("message");
    const run = await stage.agent.nextRun();
    const answer = async () => {
      const response = await stage.call("GET", `/state?sessionId=${sessionId}`, token);
      return stateDto.parse(await response.json()).session?.messages.at(-1);
    };
    run.send({ type: "delta", text: "Part one" });
    await socket.next("delta");
    expect(await answer()).toMatchObject({ status: "streaming", content: "Part one" });
    run.send({ type: "delta", text: ", part two" });
    await socket.next("delta");
    // The stored row has not changed (the snapshot is kept): the run's text still shows.
    expect(await answer()).toMatchObject({ status: "streaming", content: "Part one, part two" });
    run.send({ type: "completed", output: "Part one, part two", items: [] });
    run.end();
    await socket.next("run.completed");
    expect(await answer()).toMatchObject({ status: "complete", content: "Part one, part two" });
    socket.close();
  });
});

describe("the cache itself", () => {
  const readFor = (sql: Sql) => (userId: string, sessionId: string | undefined) =>
    loadStampedState(sql, userId, sessionId);

  test("requests that arrive together are checked in one statement", async () => {
    const { userId } = await signedIn();
    let statements = 0;
    // Counts the statements the cache sends itself (the stamps); reads go through api.sql.
    const counted = new Proxy(api.sql, {
      apply(target, self, args) {
        statements += 1;
        return Reflect.apply(target, self, args);
      },
    });
    const cache = createStateCache({ sql: counted, read: readFor(api.sql) });
    const first = await cache.load(userId, undefined);
    const many = await Promise.all(Array.from({ length: 20 }, () => cache.load(userId, undefined)));
    expect(many.every((state) => state === first)).toBe(true);
    expect(cache.stats).toEqual({ hits: 20, misses: 1 });
    // The first check goes out at once; the 19 that arrived meanwhile wait for one more.
    expect(statements).toBe(2);
  });

  test("a user removed since is read again (and is not found), never served kept", async () => {
    const { userId } = await signedIn();
    const cache = createStateCache({ sql: api.sql, read: readFor(api.sql) });
    await cache.load(userId, undefined);
    await elsewhere`delete from users where id = ${userId}`;
    await expect(cache.load(userId, undefined)).rejects.toMatchObject({ code: "not_found" });
  });

  test("forgetting a user drops their snapshots only", async () => {
    const [gone, stays] = [await signedIn(), await signedIn()];
    const cache = createStateCache({ sql: api.sql, read: readFor(api.sql) });
    for (const { userId } of [gone, stays]) await cache.load(userId, undefined);
    cache.forget(gone.userId);
    await cache.load(gone.userId, undefined);
    await cache.load(stays.userId, undefined);
    expect(cache.stats).toEqual({ hits: 1, misses: 3 });
  });

  test("at most maxSnapshots are kept, the least recently served go first", async () => {
    const users = [await signedIn(), await signedIn(), await signedIn()];
    const cache = createStateCache({ sql: api.sql, read: readFor(api.sql), maxSnapshots: 2 });
    for (const { userId } of users) await cache.load(userId, undefined);
    await cache.load(users[1]!.userId, undefined); // kept
    await cache.load(users[0]!.userId, undefined); // went first: read again
    expect(cache.stats).toEqual({ hits: 1, misses: 4 });
  });
});
