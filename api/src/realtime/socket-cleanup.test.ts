/**
 * A socket that goes away must leave nothing behind: no timer armed for it, no hub entry.
 * Timers are observed by wrapping the global setTimeout the server (in this process) uses.
 */
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  setDefaultTimeout,
  test,
} from "bun:test";
import { createTestDatabase, type TestDatabase } from "@trainer2/db/testing";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { createApp } from "../app.ts";
import type { IdentityVerifier } from "../auth/identity.ts";
import { openSocket } from "../testing/test-socket.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
let server: ReturnType<typeof Bun.serve>;
let api: ReturnType<typeof createApp>;
/** The identity provider's answer waits for this gate (a slow Google, say). */
let gate: { opened: Promise<void>; open: () => void; reached: Promise<void>; reach: () => void };

function newGate() {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  gate = { opened, open, reached, reach };
}

const slowVerifier: IdentityVerifier = async (token) => {
  gate.reach();
  await gate.opened;
  return {
    issuer: "test",
    subject: token,
    email: null,
    name: null,
    picture: null,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  };
};

beforeAll(async () => {
  db = await createTestDatabase();
  const [pair, agent] = await Promise.all([generatePemKeyPair(), generatePemKeyPair()]);
  api = createApp({
    sql: db.sql,
    keys: {
      apiPrivateKey: await importPrivateKey(pair.privateKey),
      apiPublicKey: await importPublicKey(pair.publicKey),
      agentPublicKey: await importPublicKey(agent.publicKey),
    },
    verifyIdentity: slowVerifier,
    agentUrl: () => "http://127.0.0.1:9",
    webOrigin: "http://localhost:3000",
  });
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: api.fetch,
    websocket: api.websocket,
  });
});
afterAll(async () => {
  await server.stop(true);
  await api.close();
  await db.close();
});

/** Timers the socket code created and that were neither cleared nor fired yet. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
let live = new Set<unknown>();
function watchSocketTimers() {
  live = new Set();
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...rest: unknown[]) => {
    const handle = realSetTimeout(
      () => {
        live.delete(handle);
        fn();
      },
      ms,
      ...rest,
    );
    if (new Error().stack?.includes("realtime/connection.ts")) live.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle: Parameters<typeof clearTimeout>[0]) => {
    live.delete(handle);
    realClearTimeout(handle);
  }) as typeof clearTimeout;
}
afterEach(() => {
  globalThis.setTimeout = realSetTimeout;
  globalThis.clearTimeout = realClearTimeout;
});

async function until(check: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 500 && !(await check()); i++) await Bun.sleep(10);
  expect(await check()).toBe(true);
}

const noSocketOpen = async () =>
  /ws_connections_open\{[^}]*\} 0\b/.test(
    await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text(),
  );

describe("a socket that closes while its auth frame is checked", () => {
  test("arms no expiry timer and joins no hub", async () => {
    newGate();
    watchSocketTimers();
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/realtime`);
    socket.send({ type: "auth", token: "someone" });
    await gate.reached;
    socket.close();
    await until(noSocketOpen);
    gate.open();
    // The user row is written after the verifier answers; the expiry would be armed just after.
    await until(
      async () => (await db.sql`select 1 from users where subject = 'someone'`).length === 1,
    );
    await Bun.sleep(100);
    expect(live.size).toBe(0);
    expect(api.hub.socketsOf((await db.sql<{ id: string }[]>`select id from users`)[0]!.id)).toBe(
      0,
    );
  });
});

describe("the hub after a session's sockets and runs are gone", () => {
  test("holds no entry for them", async () => {
    newGate();
    gate.open();
    const socket = await openSocket(`ws://127.0.0.1:${server.port}/realtime`);
    socket.send({ type: "auth", token: "chatter" });
    await socket.next("ready");
    // No agent listens: the turn still stores, announces and ends (agent_unavailable).
    socket.send({ type: "chat", text: "hello", clientMsgId: "h1" });
    const { sessionId } = await socket.next("message");
    await socket.next("run.failed");
    socket.send({ type: "resume", sessionId, afterSeq: 0 });
    expect((await socket.drain()).map((event) => event.type)).toEqual(["message", "message"]);
    socket.close();
    await until(noSocketOpen);
    expect(api.hub.sizes()).toEqual({
      users: 0,
      followed: 0,
      runs: 0,
      pending: 0,
      watched: 0,
      remote: 0,
      interest: 0,
      recent: 0,
    });
  });
});

describe("a socket whose user cannot be made ready", () => {
  test("is closed with 1011 so the client reconnects, not left open and useless", async () => {
    newGate();
    gate.open();
    // A real database failure: the sessions table is gone for a moment.
    await db.sql`alter table chat_sessions rename to chat_sessions_away`;
    try {
      const socket = await openSocket(`ws://127.0.0.1:${server.port}/realtime`);
      socket.send({ type: "auth", token: "unlucky" });
      const outcome = await Promise.race([
        socket.closed,
        Bun.sleep(5000).then(() => ({ code: 0, reason: "still open" })),
      ]);
      expect(outcome.code).toBe(1011);
      socket.close();
    } finally {
      await db.sql`alter table chat_sessions_away rename to chat_sessions`;
    }
  });
});
