/** Chat sessions: a user's conversations. Every read is scoped to the owning user. */
import type { SessionSummary } from "@trainer2/shared/wire";
import type { Sql } from "../client.ts";
import { type Queryable, toIso } from "./users.ts";

export type SessionRecord = {
  id: string;
  userId: string;
  title: string | null;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
};

export type SessionRow = {
  id: string;
  user_id: string;
  title: string | null;
  last_seq: number;
  created_at: Date | string;
  updated_at: Date | string;
};

export const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  userId: row.user_id,
  title: row.title,
  lastSeq: row.last_seq,
  createdAt: toIso(row.created_at),
  updatedAt: toIso(row.updated_at),
});

export const maxSessionsListed = 50;
const maxTitleLength = 60;
const titleWords = 8;

/** A short title from the first words of the first message. */
export function titleFrom(text: string): string {
  const words = text.trim().split(/\s+/).slice(0, titleWords).join(" ");
  return words.length > maxTitleLength ? `${words.slice(0, maxTitleLength - 1)}…` : words;
}

/** `id`: chosen by the caller when it needs the id before the row exists (a run token). */
export async function createSession(
  sql: Queryable,
  userId: string,
  title: string | null,
  id: string = crypto.randomUUID(),
): Promise<SessionRecord> {
  const [row] = await sql<SessionRow[]>`
    insert into chat_sessions (id, user_id, title) values (${id}, ${userId}, ${title}) returning *`;
  if (!row) throw new Error("insert returned no row");
  return toSession(row);
}

/** Removes a session made for a turn that was not stored after all (it has no messages). */
export async function deleteEmptySession(sql: Queryable, id: string): Promise<void> {
  await sql`
    delete from chat_sessions
    where id = ${id} and not exists (select 1 from messages where session_id = ${id})`;
}

/** The session if it belongs to `userId`; null otherwise (callers answer 404 either way). */
export async function getOwnedSession(
  sql: Queryable,
  userId: string,
  sessionId: string,
): Promise<SessionRecord | null> {
  const [row] = await sql<SessionRow[]>`
    select * from chat_sessions where id = ${sessionId} and user_id = ${userId}`;
  return row ? toSession(row) : null;
}

export async function mostRecentSession(
  sql: Queryable,
  userId: string,
): Promise<SessionRecord | null> {
  const [row] = await sql<SessionRow[]>`
    select * from chat_sessions where user_id = ${userId}
    order by updated_at desc, created_at desc limit 1`;
  return row ? toSession(row) : null;
}

export async function listSessions(
  sql: Queryable,
  userId: string,
  limit = maxSessionsListed,
): Promise<SessionSummary[]> {
  const rows = await sql<SessionRow[]>`
    select * from chat_sessions where user_id = ${userId}
    order by updated_at desc, created_at desc limit ${limit}`;
  return rows.map(toSessionSummary);
}

export const toSessionSummary = (row: SessionRow): SessionSummary => ({
  id: row.id,
  title: row.title,
  updatedAt: toIso(row.updated_at),
});

/**
 * Renames the user's session; null when it is not theirs. A rename is not activity: the
 * session keeps its place in the list.
 */
export async function renameSession(
  sql: Queryable,
  userId: string,
  sessionId: string,
  title: string,
): Promise<SessionSummary | null> {
  const [row] = await sql<SessionRow[]>`
    update chat_sessions set title = ${title}
    where id = ${sessionId} and user_id = ${userId} returning *`;
  return row ? toSessionSummary(row) : null;
}

export type SessionDeletion = "deleted" | "not_found" | "busy";

/**
 * Deletes the user's session and its messages, in one transaction, unless an answer is being
 * written in it: a `streaming` row, whichever api process writes it, makes it `busy`. The
 * session row is locked first, so a turn being stored in it (which bumps its last_seq) has
 * either committed, and its streaming row is seen here, or waits and then finds no session.
 *
 * Its tool calls stay in the audit trail, detached (session_id null): what they changed
 * (workouts, the profile) outlives the chat, and the record of who changed it stays with
 * that data until the account itself is deleted. So do its approvals; a call still waiting
 * for the person is recorded as rejected by them (an answer waiting is not being written).
 */
export async function deleteSession(
  sql: Sql,
  userId: string,
  sessionId: string,
): Promise<SessionDeletion> {
  return sql.begin(async (tx) => {
    const [session] = await tx`
      select id from chat_sessions where id = ${sessionId} and user_id = ${userId} for update`;
    if (!session) return "not_found";
    const [streaming] = await tx`
      select 1 from messages where session_id = ${sessionId} and status = 'streaming' limit 1`;
    if (streaming) return "busy";
    await tx`update tool_calls set session_id = null where session_id = ${sessionId}`;
    // A call the chat was waiting on can no longer go on: the person's deleting it says no,
    // and the audit says so (rather than a row left pending until it expires).
    await tx`
      update tool_approvals
      set status = 'rejected', reason = 'The chat was deleted.', decided_at = now(),
          decided_by = ${userId}
      where session_id = ${sessionId} and status = 'pending'`;
    // Its messages go with it (on delete cascade).
    await tx`delete from chat_sessions where id = ${sessionId}`;
    return "deleted";
  });
}
