/**
 * A person's account as a whole: everything it holds, read at one instant ("Download my
 * data"), and deleted at once ("Delete my account").
 */
import {
  type AccountExport,
  accountExportFormat,
  type ExportedApproval,
  type ExportedToolCall,
} from "@trainer2/shared/account-data";
import type { Message } from "@trainer2/shared/wire";
import type { Sql } from "../client.ts";
import { messagesOfUser } from "./messages.ts";
import { getProfile } from "./profiles.ts";
import { type SessionRow, toSession } from "./sessions.ts";
import { approvalsOfUser, type ToolApproval } from "./tool-approvals.ts";
import { toolCallsOfUser, type UserToolCall } from "./tool-calls.ts";
import { toUser, type UserRow } from "./users.ts";
import { listWorkouts } from "./workouts.ts";

function exportedCall(call: UserToolCall): ExportedToolCall {
  return {
    id: call.id,
    toolCallId: call.toolCallId,
    runId: call.runId,
    sessionId: call.sessionId,
    tool: call.tool,
    arguments: call.arguments,
    result: call.result,
    status: call.status,
    errorCode: call.errorCode,
    durationMs: call.durationMs,
    createdAt: call.createdAt,
  };
}

function exportedApproval(approval: ToolApproval): ExportedApproval {
  return {
    runId: approval.runId,
    callId: approval.callId,
    sessionId: approval.sessionId,
    tool: approval.tool,
    arguments: approval.arguments,
    summary: approval.summary,
    status: approval.status,
    reason: approval.reason,
    requestedAt: approval.requestedAt,
    expiresAt: approval.expiresAt,
    decidedAt: approval.decidedAt,
    decidedBy: approval.decidedBy,
  };
}

/**
 * Everything stored about the user (approvals asked and decided included), in one read-only snapshot (a chat that changes meanwhile
 * is in the file as it was at one instant). Null when there is no such user.
 */
export async function exportAccount(sql: Sql, userId: string): Promise<AccountExport | null> {
  return sql.begin("isolation level repeatable read read only", async (tx) => {
    const [row] = await tx<UserRow[]>`select * from users where id = ${userId}`;
    if (!row) return null;
    const user = toUser(row);
    const profile = await getProfile(tx, userId);
    const workouts = await listWorkouts(tx, userId, { limit: everything, from: null, to: null });
    const sessions = await tx<SessionRow[]>`
      select * from chat_sessions where user_id = ${userId}
      order by updated_at desc, created_at desc`;
    // Each session's messages, in their order (messagesOfUser orders by session and seq).
    const messagesOf = new Map<string, Message[]>();
    for (const { sessionId, message } of await messagesOfUser(tx, userId)) {
      const list = messagesOf.get(sessionId);
      if (list) list.push(message);
      else messagesOf.set(sessionId, [message]);
    }
    const calls = await toolCallsOfUser(tx, userId);
    const approvals = await approvalsOfUser(tx, userId);
    return {
      format: accountExportFormat,
      version: 1,
      exportedAt: new Date().toISOString(),
      user,
      profile,
      workouts,
      sessions: sessions.map(toSession).map(({ id, title, createdAt, updatedAt }) => ({
        id,
        title,
        createdAt,
        updatedAt,
        messages: messagesOf.get(id) ?? [],
      })),
      toolCalls: calls.map(exportedCall),
      approvals: approvals.map(exportedApproval),
    };
  });
}

/** LIMIT for "no limit" through a query that takes one. */
const everything = Number.MAX_SAFE_INTEGER;

export type AccountDeletion = "deleted" | "not_found" | "busy";

/**
 * Deletes the user and every row that is theirs, in one transaction: profile, chats and their
 * messages, tool calls, workouts, all by their foreign keys to the user (on delete cascade; a
 * test holds every such key to it). Refused while an answer is being written for them, by
 * any api process: the user row is locked first, so a turn being stored (its rows check the
 * user's key) either committed, and its `streaming` row is seen here, or waits and then
 * fails on a user that is gone.
 */
export async function deleteAccount(sql: Sql, userId: string): Promise<AccountDeletion> {
  return sql.begin(async (tx) => {
    const [user] = await tx`select id from users where id = ${userId} for update`;
    if (!user) return "not_found";
    const [streaming] = await tx`
      select 1 from messages where user_id = ${userId} and status = 'streaming' limit 1`;
    if (streaming) return "busy";
    await tx`delete from users where id = ${userId}`;
    return "deleted";
  });
}
