/**
 * The api processes sharing this database: each registers itself, says it is alive every
 * few seconds, and a peer finishes the answers of a process that is gone. Times are the
 * database's own clock (`now()`), so clocks of different machines never disagree.
 */
import { withoutNul } from "@trainer2/shared/nul";
import type { Message, MessageTool } from "@trainer2/shared/wire";
import { type MessageRow, toMessage } from "./messages.ts";
import type { Queryable } from "./users.ts";

export async function registerApiProcess(
  sql: Queryable,
  process: { id: string; host: string; pid: number },
): Promise<void> {
  await sql`
    insert into api_processes (id, host, pid) values (${process.id}, ${process.host}, ${process.pid})
    on conflict (id) do update set seen_at = now()`;
}

/** Says the process is alive; false when its row is gone (a peer thought it dead). */
export async function touchApiProcess(sql: Queryable, id: string): Promise<boolean> {
  const rows = await sql`update api_processes set seen_at = now() where id = ${id} returning id`;
  return rows.length > 0;
}

export async function removeApiProcess(sql: Queryable, id: string): Promise<void> {
  await sql`delete from api_processes where id = ${id}`;
}

export type ApiProcessRow = { id: string; host: string; pid: number; stale: boolean };

/** Every registered process, and whether its last sign of life is older than `staleMs`. */
export async function listApiProcesses(sql: Queryable, staleMs: number): Promise<ApiProcessRow[]> {
  return sql<ApiProcessRow[]>`
    select id, host, pid, seen_at < now() - make_interval(secs => ${staleMs / 1000}) as stale
    from api_processes`;
}

/** An answer a peer interrupted: enough to tell the sockets that follow its session. */
export type InterruptedAnswer = { sessionId: string; userId: string; message: Message };

/**
 * Forgets the processes in `gone` and ends, as interrupted with their checkpointed text,
 * every answer still streaming that no live process writes: those of `gone`, of processes
 * with no row, and (from `self`) those of `self` whose run it no longer holds (a final write
 * that gave up). Each answer is ended by exactly one caller (the update's row lock), who
 * reports it.
 *
 * `ownRuns` is asked only after `self`'s streaming answers have been read: a list taken
 * before the read misses every run that starts while the read waits (under load, a pool's
 * queue: hundreds of ms), and took those fresh answers for orphans. Read first, a run's row
 * is either in the list (it was claimed before its row was written) or already ended (its
 * row is no longer streaming, and the guarded update leaves it).
 */
export async function interruptOrphanedAnswers(
  sql: Queryable,
  options: { gone: string[]; self: string; ownRuns: () => string[] },
): Promise<InterruptedAnswer[]> {
  const streamingHere = await sql<{ run_id: string }[]>`
    select run_id from messages where status = 'streaming' and owner_id = ${options.self}`;
  const held = new Set(options.ownRuns());
  const givenUp = streamingHere.map((row) => row.run_id).filter((runId) => !held.has(runId));
  const rows = await sql<(MessageRow & { user_id: string })[]>`
    with forgotten as (
      delete from api_processes where id = any(${options.gone}::uuid[])
    )
    update messages m
    set status = 'interrupted', error_code = 'interrupted', updated_at = now()
    where m.status = 'streaming' and (
      m.owner_id is null
      or not exists (
        select 1 from api_processes p
        where p.id = m.owner_id and p.id <> all(${options.gone}::uuid[])
      )
      or (m.owner_id = ${options.self} and m.run_id = any(${givenUp}::uuid[]))
    )
    returning m.id, m.session_id, m.seq, m.role, m.content, m.status, m.run_id,
      m.client_msg_id, m.created_at, m.error_code, m.tools, m.user_id`;
  return rows.map((row) => ({
    sessionId: row.session_id,
    userId: row.user_id,
    message: toMessage(row),
  }));
}

/**
 * The owner of an answer a peer interrupted (it took the owner for gone: a pause, or a
 * database link that came back later than the peer's) stores the text it showed, when the
 * stored text is a prefix of it. The answer stays interrupted, since sockets were told so,
 * but what was shown survives. True when the text was stored.
 */
export async function keepShownText(
  sql: Queryable,
  id: string,
  shown: { content: string; tools: MessageTool[] },
): Promise<boolean> {
  const content = withoutNul(shown.content);
  const rows = await sql`
    update messages
    set content = ${content}, tools = ${sql.json(withoutNul(shown.tools) as never)},
        updated_at = now()
    where id = ${id} and status = 'interrupted' and error_code = 'interrupted'
      and content <> ${content} and starts_with(${content}, content)
    returning id`;
  return rows.length > 0;
}
