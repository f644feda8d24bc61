/**
 * Tool calls waiting for the person's decision (issue 17). A run that calls a tool needing
 * approval pauses: its answer is stored `awaiting_approval` with the agent's run state, and
 * each pending call gets a `tool_approvals` row. A decision (or the expiry) is written on that
 * row, once; when no call of the run is pending any more, exactly one caller claims the answer
 * back to `streaming` (with its process as owner) and resumes the run. The answer's row is
 * locked first in every such transaction, so decisions of one run are judged one at a time.
 */

import { withoutNul } from "@trainer2/shared/nul";
import type { ApprovalDecision, Message, MessageTool } from "@trainer2/shared/wire";
import { type MessageRow, messageColumns, toMessage } from "./messages.ts";
import { fromJson, type Queryable, toIso } from "./users.ts";

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

export type ToolApproval = {
  runId: string;
  callId: string;
  userId: string;
  sessionId: string | null;
  messageId: string | null;
  tool: string;
  arguments: unknown;
  summary: string;
  status: ApprovalStatus;
  reason: string | null;
  requestedAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
};

type ApprovalRow = {
  run_id: string;
  call_id: string;
  user_id: string;
  session_id: string | null;
  message_id: string | null;
  tool: string;
  arguments: unknown;
  summary: string;
  status: ApprovalStatus;
  reason: string | null;
  requested_at: Date | string;
  expires_at: Date | string;
  decided_at: Date | string | null;
  decided_by: string | null;
};

const approvalColumns =
  "run_id, call_id, user_id, session_id, message_id, tool, arguments, summary, status, reason, requested_at, expires_at, decided_at, decided_by";

const parsed = (value: unknown) => fromJson(value);

const toApproval = (row: ApprovalRow): ToolApproval => ({
  runId: row.run_id,
  callId: row.call_id,
  userId: row.user_id,
  sessionId: row.session_id,
  messageId: row.message_id,
  tool: row.tool,
  arguments: parsed(row.arguments),
  summary: row.summary,
  status: row.status,
  reason: row.reason,
  requestedAt: toIso(row.requested_at),
  expiresAt: toIso(row.expires_at),
  decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
  decidedBy: row.decided_by,
});

export type PendingCall = { callId: string; tool: string; arguments: unknown; summary: string };

/**
 * Pauses a run: its answer (still `streaming`, owned by the caller) becomes `awaiting_approval`
 * with the text and lines so far and the run state, and each call gets a pending row. Null
 * when the answer was no longer streaming (a peer interrupted it): nothing is stored then.
 * Call inside a transaction.
 */
export async function pauseForApproval(
  tx: Queryable,
  pause: {
    messageId: string;
    runId: string;
    userId: string;
    sessionId: string;
    content: string;
    tools: MessageTool[];
    runState: string;
    calls: PendingCall[];
    expiresAt: Date;
  },
): Promise<{ message: Message; approvals: ToolApproval[] } | null> {
  const [row] = await tx.unsafe<MessageRow[]>(
    `update messages
     set status = 'awaiting_approval', content = $2, tools = $3::jsonb, run_state = $4,
         updated_at = now()
     where id = $1 and status = 'streaming'
     returning ${messageColumns}`,
    [
      pause.messageId,
      withoutNul(pause.content),
      JSON.stringify(withoutNul(pause.tools)),
      pause.runState,
    ],
  );
  if (!row) return null;
  const approvals: ToolApproval[] = [];
  for (const call of pause.calls) {
    const [inserted] = await tx.unsafe<ApprovalRow[]>(
      `insert into tool_approvals
         (run_id, call_id, user_id, session_id, message_id, tool, arguments, summary, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
       returning ${approvalColumns}`,
      [
        pause.runId,
        call.callId,
        pause.userId,
        pause.sessionId,
        pause.messageId,
        call.tool,
        JSON.stringify(withoutNul(call.arguments ?? {})),
        withoutNul(call.summary),
        pause.expiresAt,
      ],
    );
    if (inserted) approvals.push(toApproval(inserted));
  }
  return { message: toMessage(row), approvals };
}

/** The calls of a session still waiting for a decision, oldest first. */
export async function pendingApprovalsOfSession(
  sql: Queryable,
  sessionId: string,
): Promise<ToolApproval[]> {
  const rows = await sql.unsafe<ApprovalRow[]>(
    `select ${approvalColumns} from tool_approvals
     where session_id = $1 and status = 'pending' order by requested_at, call_id`,
    [sessionId],
  );
  return rows.map(toApproval);
}

/** Every approval row of a user, oldest first (their data export). */
export async function approvalsOfUser(sql: Queryable, userId: string): Promise<ToolApproval[]> {
  const rows = await sql.unsafe<ApprovalRow[]>(
    `select ${approvalColumns} from tool_approvals where user_id = $1
     order by requested_at, call_id`,
    [userId],
  );
  return rows.map(toApproval);
}

/** Every approval row of a run (the audit trail of its decisions). */
export async function approvalsOfRun(sql: Queryable, runId: string): Promise<ToolApproval[]> {
  const rows = await sql.unsafe<ApprovalRow[]>(
    `select ${approvalColumns} from tool_approvals where run_id = $1 order by requested_at, call_id`,
    [runId],
  );
  return rows.map(toApproval);
}

/** The approved decision for exactly this call of this run, if there is one. */
export async function findApproval(
  sql: Queryable,
  runId: string,
  callId: string,
): Promise<ToolApproval | null> {
  const [row] = await sql.unsafe<ApprovalRow[]>(
    `select ${approvalColumns} from tool_approvals where run_id = $1 and call_id = $2`,
    [runId, callId],
  );
  return row ? toApproval(row) : null;
}

export type DecideOutcome =
  | { kind: "not_found" }
  | { kind: "decided"; approval: ToolApproval }
  | { kind: "already"; approval: ToolApproval }
  | { kind: "expired"; approval: ToolApproval };

/**
 * Records the person's decision on one pending call of their run, once: a second decision is
 * `already`; a call past its expiry is marked expired instead (`expired`). Locks the run's
 * answer first. Call inside a transaction, then `claimResume` in the same one.
 */
export async function decideApproval(
  tx: Queryable,
  decision: {
    runId: string;
    callId: string;
    userId: string;
    decision: ApprovalDecision;
    reason: string | null;
    expiredReason: string;
  },
): Promise<DecideOutcome> {
  await lockAnswer(tx, decision.runId, decision.userId);
  const [row] = await tx.unsafe<ApprovalRow[]>(
    `select ${approvalColumns} from tool_approvals
     where run_id = $1 and call_id = $2 and user_id = $3`,
    [decision.runId, decision.callId, decision.userId],
  );
  if (!row) return { kind: "not_found" };
  if (row.status !== "pending") return { kind: "already", approval: toApproval(row) };
  const [expired] = await tx.unsafe<ApprovalRow[]>(
    `update tool_approvals set status = 'expired', reason = $3, decided_at = now()
     where run_id = $1 and call_id = $2 and status = 'pending' and expires_at <= now()
     returning ${approvalColumns}`,
    [decision.runId, decision.callId, decision.expiredReason],
  );
  if (expired) return { kind: "expired", approval: toApproval(expired) };
  const [decided] = await tx.unsafe<ApprovalRow[]>(
    `update tool_approvals
     set status = $3, reason = $4, decided_at = now(), decided_by = $5
     where run_id = $1 and call_id = $2 and status = 'pending'
     returning ${approvalColumns}`,
    [
      decision.runId,
      decision.callId,
      decision.decision === "approve" ? "approved" : "rejected",
      decision.reason === null ? null : withoutNul(decision.reason),
      decision.userId,
    ],
  );
  if (!decided) throw new Error("a pending approval vanished under its lock");
  return { kind: "decided", approval: toApproval(decided) };
}

/** Locks the answer of a run that waits for decisions (a no-op when there is none). */
async function lockAnswer(tx: Queryable, runId: string, userId: string): Promise<void> {
  await tx.unsafe(
    `select m.id from messages m
     where m.run_id = $1 and m.user_id = $2 and m.role = 'assistant'
       and m.status = 'awaiting_approval'
     for update`,
    [runId, userId],
  );
}

/** The runs with a call past its expiry, still pending. */
export async function overdueRuns(sql: Queryable): Promise<{ runId: string; userId: string }[]> {
  const rows = await sql<{ run_id: string; user_id: string }[]>`
    select distinct run_id, user_id from tool_approvals
    where status = 'pending' and expires_at <= now()`;
  return rows.map((row) => ({ runId: row.run_id, userId: row.user_id }));
}

/** Marks a run's overdue pending calls expired (its answer locked first). */
export async function expireOverdue(
  tx: Queryable,
  run: { runId: string; userId: string; reason: string },
): Promise<ToolApproval[]> {
  await lockAnswer(tx, run.runId, run.userId);
  const rows = await tx.unsafe<ApprovalRow[]>(
    `update tool_approvals set status = 'expired', reason = $2, decided_at = now()
     where run_id = $1 and status = 'pending' and expires_at <= now()
     returning ${approvalColumns}`,
    [run.runId, run.reason],
  );
  return rows.map(toApproval);
}

export type Resumable = {
  message: Message;
  sessionId: string;
  runState: string;
  /** Every call of the paused run with its outcome. */
  approvals: ToolApproval[];
};

/**
 * Once no call of the run is pending: its answer goes back to `streaming`, owned by `ownerId`,
 * and the run state is handed to the caller (and cleared from the row). Null while a call is
 * still pending, or when someone else claimed it. Call in the transaction that decided.
 */
export async function claimResume(
  tx: Queryable,
  run: { runId: string; userId: string; ownerId: string },
): Promise<Resumable | null> {
  const [row] = await tx.unsafe<(MessageRow & { run_state: string })[]>(
    `with claimed as (
       select id, run_state from messages
       where run_id = $1 and user_id = $2 and role = 'assistant' and status = 'awaiting_approval'
         and run_state is not null
         and not exists (
           select 1 from tool_approvals where run_id = $1 and status = 'pending'
         )
     )
     update messages m
     set status = 'streaming', owner_id = $3, run_state = null, updated_at = now()
     from claimed
     where m.id = claimed.id
     returning ${messageColumns
       .split(", ")
       .map((column) => `m.${column}`)
       .join(", ")}, claimed.run_state`,
    [run.runId, run.userId, run.ownerId],
  );
  if (!row) return null;
  return {
    message: toMessage(row),
    sessionId: row.session_id,
    runState: row.run_state,
    approvals: await approvalsOfRun(tx, run.runId),
  };
}
