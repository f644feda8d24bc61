/**
 * Chat messages. Each has a per-session `seq` handed out from chat_sessions.last_seq in the
 * same transaction as the insert, so replay ("everything after seq N") is exact.
 */
import { type FailureCode, isFailureCode } from "@trainer2/shared/failures";
import { withoutNul } from "@trainer2/shared/nul";
import type { AgentItem, Message, MessageTool } from "@trainer2/shared/wire";
import { fromJson, type Queryable, toIso } from "./users.ts";

export type MessageRow = {
  id: string;
  session_id: string;
  seq: number;
  role: Message["role"];
  content: string;
  status: Message["status"];
  run_id: string | null;
  client_msg_id: string | null;
  created_at: Date | string;
  error_code: string | null;
  /** jsonb; some drivers (PGlite's socket) hand it over as text. */
  tools: MessageTool[] | string | null;
};

/** Also read by the state snapshot (state.ts), which must see the same columns. */
export const messageColumns =
  "id, session_id, seq, role, content, status, run_id, client_msg_id, created_at, error_code, tools";

const toolsOf = (value: MessageRow["tools"]): MessageTool[] => fromJson(value) ?? [];

export const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  seq: row.seq,
  role: row.role,
  content: row.content,
  status: row.status,
  runId: row.run_id,
  clientMsgId: row.client_msg_id,
  createdAt: toIso(row.created_at),
  // A code this version does not know (written by a newer one) reads as `internal`.
  errorCode:
    row.error_code === null ? null : isFailureCode(row.error_code) ? row.error_code : "internal",
  ...(row.role === "assistant" ? { tools: toolsOf(row.tools) } : {}),
});

export const maxMessagesInState = 200;
export const maxMessagesReplayed = 500;

export type StoredTurn = { user: Message; assistant: Message };

/**
 * Stores the user's message and the assistant's placeholder (status `streaming`, so it has
 * its seq before the first delta), in ONE statement: the session's seqs are bumped and both
 * rows inserted together, or nothing is (one round trip on the turn's hot path; safe outside
 * a transaction). Returns `duplicate` when the session's user already sent this clientMsgId
 * (a client retrying the same frame). A twin inserted concurrently makes it fail instead
 * (`isDuplicateClientMsg`), as does an answer already being written in the session
 * (`isSessionBusy`).
 */
export async function insertTurn(
  sql: Queryable,
  turn: {
    sessionId: string;
    text: string;
    clientMsgId: string;
    runId: string;
    /** The api process that will write the answer (see api-processes.ts). */
    ownerId?: string;
  },
): Promise<StoredTurn | { duplicate: Message; sessionId: string }> {
  const rows = await sql.unsafe<(MessageRow & { found: boolean })[]>(
    `with existing as (
       select ${messageColumns} from messages
       where user_id = (select user_id from chat_sessions where id = $1) and client_msg_id = $2
     ), session as (
       update chat_sessions set last_seq = last_seq + 2, updated_at = now()
       where id = $1 and not exists (select 1 from existing)
       returning last_seq
     ), inserted as (
       insert into messages (session_id, seq, role, content, status, run_id, client_msg_id, owner_id)
       select $1::uuid, last_seq - 1, 'user', $3::text, 'complete', $4::uuid, $2::text, null::uuid
       from session
       union all
       select $1::uuid, last_seq, 'assistant', '', 'streaming', $4::uuid, null, $5::uuid
       from session
       returning ${messageColumns}
     )
     select true as found, * from existing
     union all
     select false as found, * from inserted`,
    [turn.sessionId, turn.clientMsgId, turn.text, turn.runId, turn.ownerId ?? null],
  );
  const existing = rows.find((row) => row.found);
  if (existing) return { duplicate: toMessage(existing), sessionId: existing.session_id };
  const user = rows.find((row) => row.role === "user");
  const assistant = rows.find((row) => row.role === "assistant");
  if (!user || !assistant) throw new Error("session not found while storing a turn");
  return { user: toMessage(user), assistant: toMessage(assistant) };
}

/**
 * A new answer to the session's last question: stores the assistant's placeholder (status
 * `streaming`, the next seq) after the answer it replaces, which stays stored. An answer
 * followed directly by another is a replaced one: the agent's context leaves it out
 * (`historyItems`) and the web hides it. Call inside a transaction. The placeholder carries
 * the frame's clientMsgId, so a re-sent frame finds it (`duplicate`) instead of starting a
 * second run. `nothing` when the session has no answered question. While an answer is still
 * being written the insert fails as busy (`isSessionBusy`), whichever process writes it.
 */
export async function insertRegeneration(
  tx: Queryable,
  again: { sessionId: string; clientMsgId: string; runId: string; ownerId?: string },
): Promise<StoredTurn | { duplicate: Message; sessionId: string } | { nothing: true }> {
  const [existing] = await tx.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages
     where user_id = (select user_id from chat_sessions where id = $1) and client_msg_id = $2`,
    [again.sessionId, again.clientMsgId],
  );
  if (existing) return { duplicate: toMessage(existing), sessionId: existing.session_id };
  const [last] = await tx<{ seq: number; role: Message["role"] }[]>`
    select seq, role from messages where session_id = ${again.sessionId} order by seq desc limit 1`;
  if (last?.role !== "assistant") return { nothing: true };
  const question = await questionBefore(tx, again.sessionId, last.seq);
  if (!question) return { nothing: true };
  // The session's next seq and the row, in one statement (as insertTurn does).
  const [assistant] = await tx.unsafe<MessageRow[]>(
    `with session as (
       update chat_sessions set last_seq = last_seq + 1, updated_at = now()
       where id = $1 returning last_seq
     )
     insert into messages (session_id, seq, role, content, status, run_id, client_msg_id, owner_id)
     select $1::uuid, last_seq, 'assistant', '', 'streaming', $2::uuid, $3::text, $4::uuid
     from session
     returning ${messageColumns}`,
    [again.sessionId, again.runId, again.clientMsgId, again.ownerId ?? null],
  );
  if (!assistant) throw new Error("insert returned no row");
  return { user: question, assistant: toMessage(assistant) };
}

/** True when `error` says the session already has an answer being written (one run each). */
export function isSessionBusy(error: unknown): boolean {
  const { code, constraint_name } = (error ?? {}) as { code?: unknown; constraint_name?: unknown };
  return code === "23505" && constraint_name === "messages_one_streaming_per_session";
}

/** True when `error` is the unique clientMsgId of a user, taken by a concurrent twin. */
export function isDuplicateClientMsg(error: unknown): boolean {
  const { code, constraint_name } = (error ?? {}) as { code?: unknown; constraint_name?: unknown };
  return code === "23505" && constraint_name === "messages_user_client_msg_unique";
}

/**
 * A user's message with this clientMsgId in any of their sessions: a client that lost the
 * answer to its first chat frame (no sessionId yet) retries without knowing the session.
 */
export async function findByClientMsgId(
  sql: Queryable,
  userId: string,
  clientMsgId: string,
): Promise<{ sessionId: string; message: Message } | null> {
  const [row] = await sql.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages where user_id = $1 and client_msg_id = $2`,
    [userId, clientMsgId],
  );
  return row ? { sessionId: row.session_id, message: toMessage(row) } : null;
}

/**
 * Saves the text and tool lines so far of an answer still being written, so a crash keeps
 * what was shown and a process that does not own the run can read it. Does nothing once the
 * answer has ended (a late checkpoint must not undo the final write).
 */
export async function checkpointAssistantMessage(
  sql: Queryable,
  id: string,
  so: { content: string; tools: MessageTool[] },
): Promise<void> {
  await sql`
    update messages
    set content = ${withoutNul(so.content)}, tools = ${sql.json(withoutNul(so.tools) as never)},
        updated_at = now()
    where id = ${id} and status = 'streaming'`;
}

/**
 * Ends the assistant message of a run: its text, final status, tool lines and (when
 * complete) items. The text, lines and items come from a model: a NUL in them is replaced so
 * the write cannot fail. Null when the answer had already ended: a peer that took this
 * process for gone interrupted it, and that stands.
 */
export async function finishAssistantMessage(
  sql: Queryable,
  id: string,
  end: {
    content: string;
    status: Exclude<Message["status"], "streaming">;
    items?: AgentItem[];
    errorCode?: FailureCode;
    /** The run's tool lines as the person saw them end. */
    tools?: MessageTool[];
  },
): Promise<Message | null> {
  // sql.json, not JSON.stringify: postgres.js would encode a string param as a jsonb string.
  const items = end.items ? sql.json(withoutNul(end.items) as never) : null;
  const tools = sql.json(withoutNul(end.tools ?? []) as never);
  const content = withoutNul(end.content);
  // One statement, so the message and the session's activity time change together.
  const [row] = await sql<MessageRow[]>`
    with ended as (
      update messages
      set content = ${content}, status = ${end.status}, items = ${items}, tools = ${tools},
          error_code = ${end.errorCode ?? null}, updated_at = now()
      where id = ${id} and status = 'streaming'
      returning id, session_id, seq, role, content, status, run_id, client_msg_id, created_at,
        error_code, tools
    ), touched as (
      update chat_sessions set updated_at = now() where id = (select session_id from ended)
    )
    select * from ended`;
  return row ? toMessage(row) : null;
}

/** Stored messages after `afterSeq`, oldest first (what a resuming client missed). */
export async function messagesAfter(
  sql: Queryable,
  sessionId: string,
  afterSeq: number,
  limit = maxMessagesReplayed,
): Promise<Message[]> {
  const rows = await sql.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages where session_id = $1 and seq > $2 order by seq limit $3`,
    [sessionId, afterSeq, limit],
  );
  return rows.map(toMessage);
}

/** The most recent `limit` messages of a session, oldest first. */
export async function latestMessages(
  sql: Queryable,
  sessionId: string,
  limit = maxMessagesInState,
): Promise<Message[]> {
  const rows = await sql.unsafe<MessageRow[]>(
    `select * from (
       select ${messageColumns} from messages where session_id = $1 order by seq desc limit $2
     ) latest order by seq`,
    [sessionId, limit],
  );
  return rows.map(toMessage);
}

/**
 * The agent's context: the stored items of the session's completed turns before `beforeSeq`,
 * oldest first, capped to the most recent turns and items so a long chat stays affordable.
 * An answer that was replaced (another answer follows it directly: see insertRegeneration)
 * is left out; seqs of a session have no gaps, so "directly" is seq + 1.
 */
export async function historyItems(
  sql: Queryable,
  sessionId: string,
  beforeSeq: number,
  caps: { turns: number; items: number } = { turns: 20, items: 200 },
): Promise<AgentItem[]> {
  // session_history (migration 0008) is the one definition, shared with budget_reserve.
  const rows = await sql<{ items: AgentItem[] | string | null }[]>`
    select items from session_history(${sessionId}, ${beforeSeq}, ${caps.turns})`;
  const turns = rows.map((row) => fromJson(row.items) ?? []).reverse() as AgentItem[][];
  return turns.flat().slice(-caps.items);
}

/**
 * Messages of these sessions stored or changed since `since`, oldest change first (at most
 * `limit`): what a process re-reads after its link to the other processes was lost.
 */
export async function messagesChangedSince(
  sql: Queryable,
  sessionIds: string[],
  since: Date,
  limit = maxMessagesReplayed,
): Promise<{ sessionId: string; message: Message }[]> {
  if (sessionIds.length === 0) return [];
  const rows = await sql.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages
     where session_id = any($1::uuid[]) and updated_at >= $2
     order by updated_at, seq limit $3`,
    [sessionIds, since, limit],
  );
  return rows.map((row) => ({ sessionId: row.session_id, message: toMessage(row) }));
}

/** True while run `runId` of `userId` is writing its answer (on whichever process). */
export async function isRunStreaming(
  sql: Queryable,
  runId: string,
  userId: string,
): Promise<boolean> {
  const rows = await sql`
    select 1 from messages
    where run_id = ${runId} and user_id = ${userId} and role = 'assistant' and status = 'streaming'`;
  return rows.length > 0;
}

/**
 * What a run token may do now, in one read: whether its session is its user's, and whether
 * its run is being written (its answer `streaming`, whichever process writes it). A token
 * acts only while both hold.
 */
export async function runScope(
  sql: Queryable,
  run: { runId: string; userId: string; sessionId: string },
): Promise<{ owned: boolean; live: boolean }> {
  const [row] = await sql<{ owned: boolean; live: boolean }[]>`
    select
      exists (select 1 from chat_sessions where id = ${run.sessionId} and user_id = ${run.userId})
        as owned,
      exists (
        select 1 from messages
        where run_id = ${run.runId} and user_id = ${run.userId} and session_id = ${run.sessionId}
          and role = 'assistant' and status = 'streaming'
      ) as live`;
  return { owned: row?.owned ?? false, live: row?.live ?? false };
}

/** Every message of the user, by session and seq: for "Download my data". */
export async function messagesOfUser(
  sql: Queryable,
  userId: string,
): Promise<{ sessionId: string; message: Message }[]> {
  const rows = await sql.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages where user_id = $1 order by session_id, seq`,
    [userId],
  );
  return rows.map((row) => ({ sessionId: row.session_id, message: toMessage(row) }));
}

/** The person's message an answer (at `seq`) answers: the last one before it. */
export async function questionBefore(
  sql: Queryable,
  sessionId: string,
  seq: number,
): Promise<Message | null> {
  const [row] = await sql.unsafe<MessageRow[]>(
    `select ${messageColumns} from messages
     where session_id = $1 and role = 'user' and seq < $2 order by seq desc limit 1`,
    [sessionId, seq],
  );
  return row ? toMessage(row) : null;
}
