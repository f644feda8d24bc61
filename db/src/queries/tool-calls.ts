/**
 * The tool audit trail: every call the agent makes to `POST /tools/:name`, also refused and
 * invalid ones. (run_id, tool_call_id) is unique, which makes a call idempotent: the row is
 * claimed first, so a retry (or a concurrent twin) finds it and gets the stored answer.
 */
import { withoutNul } from "@trainer2/shared/nul";
import { type Queryable, toIso } from "./users.ts";

export type ToolCallStatus = "ok" | "error" | "invalid" | "refused";

export type ToolCallRecord = {
  id: string;
  toolCallId: string;
  runId: string;
  userId: string | null;
  sessionId: string | null;
  tool: string;
  arguments: unknown;
  /** The tool's result when ok, else the error object the caller was given. */
  result: unknown;
  status: ToolCallStatus;
  errorCode: string | null;
  durationMs: number | null;
};

type ToolCallRow = {
  id: string;
  tool_call_id: string;
  run_id: string;
  user_id: string | null;
  session_id: string | null;
  tool: string;
  arguments: unknown;
  result: unknown;
  status: ToolCallStatus;
  error_code: string | null;
  duration_ms: number | null;
};

const toRecord = (row: ToolCallRow): ToolCallRecord => ({
  id: row.id,
  toolCallId: row.tool_call_id,
  runId: row.run_id,
  userId: row.user_id,
  sessionId: row.session_id,
  tool: row.tool,
  arguments: row.arguments,
  result: row.result,
  status: row.status,
  errorCode: row.error_code,
  durationMs: row.duration_ms,
});

export type ClaimToolCall = {
  toolCallId: string;
  runId: string;
  /** Recorded only if such a user exists (the audit row must not fail on a stale token). */
  userId: string;
  /** Recorded only if given and it exists; null for refused calls. */
  sessionId: string | null;
  tool: string;
  arguments: unknown;
};

/**
 * Inserts the call's row, provisionally as an error, and returns its id; null when the
 * (run, call id) pair already exists. Against a concurrent twin the insert waits for the
 * other transaction and then yields null, so only one of them ever runs the tool.
 * Name and arguments come from a model: a NUL in them is replaced, so the call is recorded.
 */
export async function claimToolCall(sql: Queryable, call: ClaimToolCall): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`
    insert into tool_calls (tool_call_id, run_id, user_id, session_id, tool, arguments, status)
    values (
      ${call.toolCallId},
      ${call.runId},
      (select id from users where id = ${call.userId}),
      (select id from chat_sessions where id = ${call.sessionId}),
      ${withoutNul(call.tool)},
      ${call.arguments === undefined ? null : sql.json(withoutNul(call.arguments) as never)},
      'error'
    )
    on conflict (run_id, tool_call_id) do nothing
    returning id`;
  return row?.id ?? null;
}

export type ToolCallOutcome = {
  status: ToolCallStatus;
  result: unknown;
  errorCode: string | null;
  durationMs: number;
};

export async function finishToolCall(
  sql: Queryable,
  id: string,
  outcome: ToolCallOutcome,
): Promise<void> {
  await sql`
    update tool_calls set
      status = ${outcome.status},
      result = ${outcome.result === undefined ? null : sql.json(withoutNul(outcome.result) as never)},
      error_code = ${withoutNul(outcome.errorCode)},
      duration_ms = ${Math.round(outcome.durationMs)}
    where id = ${id}`;
}

export async function findToolCall(
  sql: Queryable,
  runId: string,
  toolCallId: string,
): Promise<ToolCallRecord | null> {
  const [row] = await sql<ToolCallRow[]>`
    select id, tool_call_id, run_id, user_id, session_id, tool, arguments, result, status,
      error_code, duration_ms
    from tool_calls where run_id = ${runId} and tool_call_id = ${toolCallId}`;
  return row ? toRecord(row) : null;
}

/** Every call of one run, oldest first: for audits and tests. */
export async function listToolCallsOfRun(sql: Queryable, runId: string): Promise<ToolCallRecord[]> {
  const rows = await sql<ToolCallRow[]>`
    select id, tool_call_id, run_id, user_id, session_id, tool, arguments, result, status,
      error_code, duration_ms
    from tool_calls where run_id = ${runId} order by created_at, id`;
  return rows.map(toRecord);
}

export type UserToolCall = ToolCallRecord & { createdAt: string };

/**
 * Every call made for the user, oldest first: theirs by user, and those of their sessions
 * (a refused call may name no user). For "Download my data".
 */
export async function toolCallsOfUser(sql: Queryable, userId: string): Promise<UserToolCall[]> {
  const rows = await sql<(ToolCallRow & { created_at: Date | string })[]>`
    select id, tool_call_id, run_id, user_id, session_id, tool, arguments, result, status,
      error_code, duration_ms, created_at
    from tool_calls
    where user_id = ${userId}
      or session_id in (select id from chat_sessions where user_id = ${userId})
    order by created_at, id`;
  return rows.map((row) => ({ ...toRecord(row), createdAt: toIso(row.created_at) }));
}
