/**
 * Migration 0002 on a database holding answers stored before it: each answer gets its own
 * run's tool lines from the audit trail (oldest first, a failure with the message the tool
 * gave), and a Stop stored as `failed` becomes `interrupted`.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultMigrationsDir, migrate } from "./migrate.ts";
import { createTestDatabase, createTestUser, type TestDatabase } from "./testing/index.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  const before = mkdtempSync(join(tmpdir(), "trainer2-migrations-"));
  copyFileSync(
    join(defaultMigrationsDir, "0001_initial_schema.sql"),
    join(before, "0001_initial_schema.sql"),
  );
  await migrate(db.sql, { dir: before });
});
afterAll(async () => {
  await db.close();
});

describe("0002 stored answer endings", () => {
  test("answers get their own run's lines; a stored Stop becomes interrupted", async () => {
    const { sql } = db;
    const userId = await createTestUser(sql);
    const [session] = await sql<{ id: string }[]>`
      insert into chat_sessions (user_id, last_seq) values (${userId}, 6) returning id`;
    const [first, second, quiet] = [1, 2, 3].map(() => crypto.randomUUID()) as [
      string,
      string,
      string,
    ];
    const answer = (seq: number, runId: string, status: string, errorCode: string | null) => sql`
      insert into messages (session_id, seq, role, content, status, run_id, error_code)
      values (${session!.id}, ${seq - 1}, 'user', 'q', 'complete', ${runId}, null),
             (${session!.id}, ${seq}, 'assistant', 'a', ${status}, ${runId}, ${errorCode})`;
    await answer(2, first, "complete", null);
    await answer(4, second, "failed", "cancelled");
    await answer(6, quiet, "failed", "agent_error");
    const call = (
      runId: string,
      id: string,
      tool: string,
      status: string,
      result: unknown,
      ago: number,
    ) => sql`
      insert into tool_calls (tool_call_id, run_id, user_id, tool, status, result, created_at)
      values (${id}, ${runId}, ${userId}, ${tool}, ${status}, ${sql.json(result as never)},
              now() - make_interval(secs => ${ago}))`;
    // Recorded out of order: the order comes from created_at, not from insertion.
    await call(
      first,
      "b",
      "log_workout",
      "invalid",
      { code: "invalid_arguments", message: "Invalid arguments: kind: Required" },
      10,
    );
    await call(first, "a", "update_profile", "ok", { profile: {} }, 20);
    await call(
      first,
      "c",
      "get_profile",
      "refused",
      { code: "forbidden", message: "This run may not act on that session." },
      5,
    );
    await call(second, "d", "list_workouts", "error", { code: "internal", message: 3 }, 1);

    await migrate(sql);

    const rows = await sql<{ seq: number; status: string; tools: unknown }[]>`
      select seq, status, tools from messages where session_id = ${session!.id} order by seq`;
    const parsed = rows.map((row) => ({
      ...row,
      tools: typeof row.tools === "string" ? JSON.parse(row.tools) : row.tools,
    }));
    expect(parsed).toEqual([
      { seq: 1, status: "complete", tools: null },
      {
        seq: 2,
        status: "complete",
        tools: [
          { name: "update_profile", status: "ok" },
          { name: "log_workout", status: "error", summary: "Invalid arguments: kind: Required" },
          {
            name: "get_profile",
            status: "error",
            summary: "This run may not act on that session.",
          },
        ],
      },
      { seq: 3, status: "complete", tools: null },
      // A message without a readable string has no summary (the page words it by name).
      { seq: 4, status: "interrupted", tools: [{ name: "list_workouts", status: "error" }] },
      { seq: 5, status: "complete", tools: null },
      { seq: 6, status: "failed", tools: [] },
    ]);
  });
});
