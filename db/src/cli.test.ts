import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { resolve } from "node:path";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { readMigrations } from "./migrate.ts";
import { createTestDatabase, type TestDatabase } from "./testing/index.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const cli = resolve(import.meta.dir, "cli.ts");
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterAll(async () => {
  await db.close();
});

async function run(...args: string[]) {
  return runCommand(["bun", cli, ...args], { env: { ...process.env, DATABASE_URL: db.url } });
}

describe("db CLI", () => {
  test("status, migrate, and reset that asks unless --yes", async () => {
    const total = readMigrations().length;
    const before = await run("status");
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`0 applied, ${total} pending`);

    const migrated = await run("migrate");
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("applied 0001_initial_schema.sql");
    expect((await run("migrate")).stdout).toContain("up to date");

    await db.sql`insert into users (issuer, subject) values ('iss', 'kept')`;
    const refused = await run("reset");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--yes");
    expect(await db.sql`select * from users`).toHaveLength(1);

    const reset = await run("reset", "--yes");
    expect(reset.code).toBe(0);
    expect(await db.sql`select * from users`).toHaveLength(0);
    expect((await run("status")).stdout).toContain(`${total} applied, 0 pending`);
  });

  test("a bad DATABASE_URL or command is named, not a stack trace", async () => {
    const unknown = await run("explode");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "explode"');
    const badUrl = await runCommand(["bun", cli, "status"], {
      env: { ...process.env, DATABASE_URL: "mysql://nope" },
    });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain("DATABASE_URL");
  });
});
