/**
 * The throwaway cluster against the machine's real Postgres binaries: data written before an
 * immediate stop (a crash) is there after a start on the same data dir and port. Nothing is
 * skipped: without the binaries this fails and says how to install them.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { createSql } from "@trainer2/db";
import { startPostgresCluster } from "./postgres-cluster.ts";

// initdb and a crash recovery take seconds; Bun's 5 s default is too tight on a busy machine.
setDefaultTimeout(60_000);

test("stop -m immediate, then start again on the same data and port", async () => {
  const cluster = await startPostgresCluster();
  try {
    const before = createSql(cluster.url, { max: 1 });
    await before`create table marks (id int primary key)`;
    await before`insert into marks values (1), (2)`;
    await cluster.stop({ mode: "immediate" });
    await expect(before`select 1`).rejects.toThrow();
    await before.end({ timeout: 1 });

    await cluster.start();
    const after = createSql(cluster.url, { max: 1 });
    try {
      expect(
        (await after<{ id: number }[]>`select id from marks order by id`).map((r) => r.id),
      ).toEqual([1, 2]);
      expect(cluster.log()).toContain("database system was interrupted");
    } finally {
      await after.end({ timeout: 1 });
    }
  } finally {
    await cluster.destroy();
  }
  expect(existsSync(cluster.root)).toBe(false);
});
