import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSql } from "./client.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

describe("embedded Postgres", () => {
  test("many connections querying and committing at once do not trample each other", async () => {
    const pg = await startEmbeddedPostgres();
    const pools = [createSql(pg.url, { max: 8 }), createSql(pg.url, { max: 8 })];
    try {
      await pools[0]!`create table counter (id int primary key, n int not null)`;
      await pools[0]!`insert into counter values (1, 0)`;
      const reads = Array.from({ length: 200 }, (_, i) =>
        pools[i % 2]!<{ v: number }[]>`select ${i}::int as v`.then((rows) => rows[0]!.v),
      );
      const writes = Array.from({ length: 40 }, (_, i) =>
        pools[i % 2]!.begin(async (tx) => {
          await tx`update counter set n = n + 1 where id = 1`;
        }),
      );
      const values = await Promise.all(reads);
      await Promise.all(writes);
      expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const [row] = await pools[0]!<{ n: number }[]>`select n from counter where id = 1`;
      expect(row!.n).toBe(40);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await pg.stop();
    }
  });

  test("a failed statement does not wedge the server for other connections", async () => {
    const pg = await startEmbeddedPostgres();
    const sql = createSql(pg.url, { max: 4 });
    try {
      await expect(sql`select * from no_such_table`).rejects.toThrow(/no_such_table/);
      const [row] = await sql<{ ok: number }[]>`select 1 as ok`;
      expect(row!.ok).toBe(1);
    } finally {
      await sql.end();
      await pg.stop();
    }
  });
});
