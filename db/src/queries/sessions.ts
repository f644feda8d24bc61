/** Chat sessions: a user's conversations. Every read is scoped to the owning user. */
import type { SessionSummary } from "@trainer2/shared/wire";
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
