import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSql } from "./client.ts";
import {
  defaultMigrationsDir,
  listApplied,
  MigrationError,
  migrate,
  migrationStatus,
  newMigration,
  readMigrations,
  resetDatabase,
} from "./migrate.ts";
import { createTestDatabase, type TestDatabase } from "./testing/index.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const opened: TestDatabase[] = [];
async function emptyDatabase() {
  const db = await createTestDatabase({ migrated: false });
  opened.push(db);
  return db;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
});

/** A scratch migrations folder holding copies of the repo's files plus any extras. */
function scratchDir(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "trainer2-migrations-"));
  for (const file of readdirSync(defaultMigrationsDir)) {
    copyFileSync(join(defaultMigrationsDir, file), join(dir, file));
  }
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function tableNames(db: TestDatabase) {
  const rows = await db.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables
    where table_schema = 'public' order by table_name`;
  return rows.map((row) => row.table_name);
}

describe("migrate", () => {
  test("a fresh database gets the whole schema, and a second run applies nothing", async () => {
    const db = await emptyDatabase();
    const first = await migrate(db.sql);
    expect(first.applied.map((file) => file.filename)).toEqual(
      readMigrations().map((file) => file.filename),
    );
    expect(await tableNames(db)).toEqual(
      expect.arrayContaining([
        "users",
        "profiles",
        "chat_sessions",
        "messages",
        "tool_calls",
        "workouts",
      ]),
    );
    const second = await migrate(db.sql);
    expect(second.applied).toEqual([]);
    const applied = await listApplied(db.sql);
    expect(applied.map((row) => row.version)).toEqual(readMigrations().map((file) => file.version));
    expect(applied[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test("an applied migration whose content changed is refused", async () => {
    const db = await emptyDatabase();
    const dir = scratchDir();
    await migrate(db.sql, { dir });
    const first = readdirSync(dir).sort()[0]!;
    writeFileSync(join(dir, first), `${readFileSync(join(dir, first), "utf8")}\n-- edited\n`);
    const attempt = migrate(db.sql, { dir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(db.sql, { dir })).rejects.toThrow(/was changed after it was applied/);
  });

  test("a failing migration names its file and leaves no trace", async () => {
    const db = await emptyDatabase();
    const dir = scratchDir({
      "0900_half_done.sql":
        "create table half_done (id int);\ninsert into missing_table values (1);",
    });
    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      /migration 0900_half_done\.sql failed: .*missing_table/,
    );
    expect(await tableNames(db)).not.toContain("half_done");
    const status = await migrationStatus(db.sql, dir);
    expect(status.pending.map((file) => file.filename)).toEqual(["0900_half_done.sql"]);
    // The files before it were applied and stay applied.
    expect(status.applied.length).toBe(readMigrations().length);
  });

  test("two migrators started at once apply each file exactly once", async () => {
    const db = await emptyDatabase();
    // A file that fails if run twice, so a double application cannot hide.
    const dir = scratchDir({ "0901_once_only.sql": "create table once_only (id int);" });
    const second = createSql(db.url, { max: 2 });
    try {
      const results = await Promise.all([migrate(db.sql, { dir }), migrate(second, { dir })]);
      const appliedCounts = results.map((result) => result.applied.length);
      expect(appliedCounts.reduce((a, b) => a + b, 0)).toBe(readMigrations(dir).length);
      const rows = await db.sql`select version from schema_migrations`;
      expect(rows.length).toBe(readMigrations(dir).length);
    } finally {
      await second.end();
    }
  });

  test("reset drops everything and migrates again", async () => {
    const db = await emptyDatabase();
    await migrate(db.sql);
    await db.sql`create table stray (id int)`;
    await db.sql`insert into users (issuer, subject) values ('iss', 'sub')`;
    const result = await resetDatabase(db.sql);
    expect(result.applied.length).toBe(readMigrations().length);
    expect(await tableNames(db)).not.toContain("stray");
    expect(await db.sql`select * from users`).toHaveLength(0);
  });

  test("bad file names are refused with the name", () => {
    const dir = scratchDir({ "7_bad.sql": "select 1;" });
    expect(() => readMigrations(dir)).toThrow(/"7_bad\.sql" must look like NNNN_snake_name\.sql/);
  });
});

describe("db:new", () => {
  test("writes the next numbered empty file", () => {
    const dir = scratchDir();
    const last = readMigrations(dir).at(-1)!.version;
    const path = newMigration("Add workouts!", dir);
    const expected = `${String(last + 1).padStart(4, "0")}_add_workouts.sql`;
    expect(path.endsWith(expected)).toBe(true);
    const second = newMigration("add goals", dir);
    expect(second.endsWith(`${String(last + 2).padStart(4, "0")}_add_goals.sql`)).toBe(true);
    expect(() => newMigration("!!!", dir)).toThrow(/no letters or digits/);
  });
});
