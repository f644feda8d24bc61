import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { accountExportDto } from "@trainer2/shared/account-data";
import type { Sql } from "../client.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { deleteAccount, exportAccount } from "./account.ts";
import { reserveBudget, setBudgetOverrides } from "./budgets.ts";
import { finishAssistantMessage, insertTurn } from "./messages.ts";
import { createSession, deleteSession, renameSession } from "./sessions.ts";
import { claimToolCall, finishToolCall } from "./tool-calls.ts";
import { upsertUserFromIdentity } from "./users.ts";
import { insertWorkout } from "./workouts.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

async function newUser(subject: string) {
  const { user } = await upsertUserFromIdentity(db.sql, {
    issuer: "test",
    subject,
    email: `${subject}@example.com`,
    name: subject,
    picture: null,
  });
  return user.id;
}

/** A session with one turn (left streaming unless `finished`) and one tool call. */
async function chatWithCall(userId: string, title: string, finished = true) {
  const session = await createSession(db.sql, userId, title);
  const runId = crypto.randomUUID();
  const stored = await db.sql.begin((tx) =>
    insertTurn(tx, { sessionId: session.id, text: title, clientMsgId: crypto.randomUUID(), runId }),
  );
  if (!("user" in stored)) throw new Error("unexpected duplicate");
  const call = await claimToolCall(db.sql, {
    toolCallId: `call-${title}`,
    runId,
    userId,
    sessionId: session.id,
    tool: "log_workout",
    arguments: { kind: "run", durationMin: 30 },
  });
  await finishToolCall(db.sql, call!, {
    status: "ok",
    result: { workout: { kind: "run" } },
    errorCode: null,
    durationMs: 3,
  });
  if (finished)
    await finishAssistantMessage(db.sql, stored.assistant.id, {
      content: `answer: ${title}`,
      status: "complete",
    });
  return { session, stored };
}

/** Rows that belong to the user, table by table: every table with a user_id column, and users. */
async function rowsOf(sql: Sql, userId: string): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }[]>`
    select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'user_id' order by table_name`;
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${table_name}" where user_id = $1`,
      [userId],
    );
    counts[table_name] = row!.n;
  }
  const [users] = await sql<
    { n: number }[]
  >`select count(*)::int as n from users where id = ${userId}`;
  counts.users = users!.n;
  return counts;
}

describe("a person's chats", () => {
  test("rename changes the title only for its owner, and keeps the list's order", async () => {
    const owner = await newUser("renamer");
    const stranger = await newUser("stranger-r");
    const session = await createSession(db.sql, owner, "old title");
    const renamed = await renameSession(db.sql, owner, session.id, "Marathon plan");
    expect(renamed).toEqual({
      id: session.id,
      title: "Marathon plan",
      updatedAt: session.updatedAt,
    });
    expect(await renameSession(db.sql, stranger, session.id, "mine now")).toBeNull();
  });

  test("delete removes the session and its messages, keeps its tool calls detached", async () => {
    const owner = await newUser("deleter");
    const { session } = await chatWithCall(owner, "to delete");
    expect(await deleteSession(db.sql, await newUser("stranger-d"), session.id)).toBe("not_found");
    expect(await deleteSession(db.sql, owner, session.id)).toBe("deleted");
    expect(await db.sql`select 1 from chat_sessions where id = ${session.id}`).toHaveLength(0);
    expect(await db.sql`select 1 from messages where session_id = ${session.id}`).toHaveLength(0);
    const calls =
      await db.sql`select session_id, user_id from tool_calls where tool_call_id = 'call-to delete'`;
    expect(calls).toEqual([{ session_id: null, user_id: owner }] as never);
    expect(await deleteSession(db.sql, owner, session.id)).toBe("not_found");
  });

  test("deleting a chat that waits for a decision rejects the call it waited on", async () => {
    const owner = await newUser("abandoner");
    const { session, stored } = await chatWithCall(owner, "waiting", false);
    await db.sql`update messages set status = 'awaiting_approval' where id = ${stored.assistant.id}`;
    await db.sql.unsafe(
      `insert into tool_approvals (run_id, call_id, user_id, session_id, message_id, tool,
         arguments, summary, expires_at)
       values ($1, 'call_w', $2, $3, $4, 'delete_workout', '{}', 'Delete your run.',
         now() + interval '1 hour')`,
      [stored.assistant.runId, owner, session.id, stored.assistant.id],
    );
    expect(await deleteSession(db.sql, owner, session.id)).toBe("deleted");
    const [approval] = await db.sql`
      select status, reason, decided_by, session_id from tool_approvals where call_id = 'call_w'`;
    expect(approval).toEqual({
      status: "rejected",
      reason: "The chat was deleted.",
      decided_by: owner,
      session_id: null,
    });
  });

  test("delete is refused while an answer is being written in the session", async () => {
    const owner = await newUser("busy-deleter");
    const { session } = await chatWithCall(owner, "streaming", false);
    expect(await deleteSession(db.sql, owner, session.id)).toBe("busy");
    expect(await db.sql`select 1 from messages where session_id = ${session.id}`).toHaveLength(2);
  });
});

describe("a person's account", () => {
  test("the export holds everything of the user, nothing of anyone else, in its schema", async () => {
    const owner = await newUser("exporter");
    const other = await newUser("other-e");
    const { session } = await chatWithCall(owner, "mine");
    await chatWithCall(other, "theirs");
    await insertWorkout(db.sql, owner, {
      performedOn: "2026-01-02",
      kind: "run",
      durationMin: 30,
      exercises: [],
      notes: null,
    });
    const exported = accountExportDto.parse(await exportAccount(db.sql, owner));
    expect(exported.user).toMatchObject({ id: owner, email: "exporter@example.com" });
    expect(exported.workouts.map((w) => w.kind)).toEqual(["run"]);
    expect(exported.sessions.map((s) => s.id)).toEqual([session.id]);
    expect(exported.sessions[0]!.messages.map((m) => m.content)).toEqual(["mine", "answer: mine"]);
    expect(exported.toolCalls).toHaveLength(1);
    expect(exported.toolCalls[0]).toMatchObject({
      sessionId: session.id,
      tool: "log_workout",
      arguments: { kind: "run", durationMin: 30 },
      result: { workout: { kind: "run" } },
      status: "ok",
    });
    expect(exported.approvals).toEqual([]);
    expect(await exportAccount(db.sql, crypto.randomUUID())).toBeNull();
  });

  test("the export holds the approvals the person was asked for and what was decided", async () => {
    const owner = await newUser("approver-e");
    const other = await newUser("other-a");
    const { session, stored } = await chatWithCall(owner, "paused", false);
    const asked = (userId: string, callId: string, sessionId: string | null = session.id) =>
      db.sql.unsafe(
        `insert into tool_approvals (run_id, call_id, user_id, session_id, message_id, tool,
           arguments, summary, expires_at)
         values ($1, $2, $3, $4, $5, 'delete_workout', $6::jsonb, 'Delete your run.',
           now() + interval '1 hour')`,
        [
          stored.assistant.runId,
          callId,
          userId,
          sessionId,
          stored.assistant.id,
          '{"workoutId":"w"}',
        ],
      );
    await asked(owner, "call_a");
    await asked(owner, "call_b");
    await asked(other, "call_c", null);
    await db.sql`update tool_approvals set status = 'rejected', reason = 'keep it',
      decided_at = now(), decided_by = ${owner} where call_id = 'call_b'`;
    const exported = accountExportDto.parse(await exportAccount(db.sql, owner));
    expect(exported.approvals.map((a) => [a.callId, a.status, a.reason, a.decidedBy])).toEqual([
      ["call_a", "pending", null, null],
      ["call_b", "rejected", "keep it", owner],
    ]);
    expect(exported.approvals[0]).toMatchObject({
      sessionId: session.id,
      tool: "delete_workout",
      arguments: { workoutId: "w" },
      summary: "Delete your run.",
    });
  });

  test("deleting the account leaves no row of the user in any table, and others' intact", async () => {
    const owner = await newUser("leaver");
    const other = await newUser("stayer");
    const { session } = await chatWithCall(owner, "gone");
    await chatWithCall(owner, "detached");
    await deleteSession(db.sql, owner, (await chatWithCall(owner, "detach me")).session.id);
    await chatWithCall(other, "kept");
    // The budget tables hold the user too: their own limits and a turn's reservation.
    await setBudgetOverrides(db.sql, owner, { dailyTokens: 50_000 });
    const reserved = await reserveBudget(db.sql, {
      userId: owner,
      runId: crypto.randomUUID(),
      ownerId: crypto.randomUUID(),
      sessionId: undefined,
      clientMsgId: "budget-row",
      inputChars: 40,
      maxOutputTokens: 100,
      defaults: { dailyTokens: 0, turnsPerMinute: 0, concurrentRuns: 0 },
      timeZone: "UTC",
      ttlMs: 60_000,
      historyTurns: 20,
    });
    expect(reserved.refused).toBeNull();
    const held = await rowsOf(db.sql, owner);
    expect([held.budget_accounts, held.budget_reservations]).toEqual([1, 1]);
    const before = await rowsOf(db.sql, other);
    expect(await deleteAccount(db.sql, owner)).toBe("deleted");
    const left = await rowsOf(db.sql, owner);
    expect(Object.values(left).every((n) => n === 0)).toBe(true);
    expect(Object.keys(left)).toEqual(expect.arrayContaining(["messages", "tool_calls", "users"]));
    expect(await db.sql`select 1 from messages where session_id = ${session.id}`).toHaveLength(0);
    expect(await rowsOf(db.sql, other)).toEqual(before);
    expect(await deleteAccount(db.sql, owner)).toBe("not_found");
  });

  test("deleting the account is refused while an answer is being written for the user", async () => {
    const owner = await newUser("busy-leaver");
    await chatWithCall(owner, "streaming", false);
    expect(await deleteAccount(db.sql, owner)).toBe("busy");
    expect((await rowsOf(db.sql, owner)).users).toBe(1);
  });

  test("every foreign key to users deletes with the user: account deletion covers new tables", async () => {
    const keys = await db.sql<{ table_name: string; delete_rule: string }[]>`
      select kcu.table_name, rc.delete_rule
      from information_schema.referential_constraints rc
      join information_schema.key_column_usage kcu on kcu.constraint_name = rc.constraint_name
      join information_schema.constraint_column_usage ccu
        on ccu.constraint_name = rc.unique_constraint_name
      where ccu.table_name = 'users' and kcu.table_schema = 'public'`;
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => key.delete_rule !== "CASCADE")).toEqual([]);
  });
});
