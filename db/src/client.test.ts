/**
 * The pool outlives a connection the server closes in the middle of a transaction (a Postgres
 * restart, `pg_terminate_backend`). postgres.js 3.4.9 then wrote the transaction's `rollback`
 * to the closed connection: an uncaught TypeError in `nextWrite`, and the connection's write
 * timer left set, so every later connect on it never sent its startup message and its queries
 * hung until the connect timeout (bun run chaos, seed 2: an api died, or lived on with a pool
 * whose heartbeat hung until a peer took it for gone). patches/postgres@3.4.9.patch mends it.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createSql } from "./client.ts";
import { readDbEnv } from "./env.ts";
import { createTestDatabase, type TestDatabase } from "./testing/index.ts";

setDefaultTimeout(30_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

// The embedded server has one backend and no pg_terminate_backend: a real Postgres only.
test.skipIf(readDbEnv().DATABASE_URL === undefined)(
  "a connection closed by the server during a transaction serves the next query",
  async () => {
    // One connection, so the next query must go through the one that was closed.
    const sql = createSql(db.url, { max: 1, connectTimeout: 3 });
    const killer = createSql(db.url, { max: 1 });
    try {
      const transaction = sql.begin(async (tx) => {
        const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await killer`select pg_terminate_backend(${row!.pid})`;
        await tx`select 1`;
      });
      expect(transaction).rejects.toThrow();
      await transaction.catch(() => {});
      const [row] = await sql<{ one: number }[]>`select 1 as one`;
      expect(row?.one).toBe(1);
    } finally {
      await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
    }
  },
);
