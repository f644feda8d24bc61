/**
 * Human approval of tool calls, on the api's side of a run (issue 17). A run whose agent
 * stream ends with `approval.required` is paused: its answer is stored `awaiting_approval` with
 * the SDK's run state, each call gets a pending `tool_approvals` row, and the session's sockets
 * get `approval.requested` (a sentence from the tool's own definition). An `approval` frame
 * (only from the run's user, once per call) or the expiry records the decision; once no call
 * is pending, the process that recorded the last decision claims the answer back to
 * `streaming` and resumes the run through the agent's `/run`, streaming into the same answer.
 * Everything lives in Postgres, so any api process, after any restart, can take it on.
 */
import { historyItems, questionBefore } from "@trainer2/db/queries/messages";
import {
  claimResume,
  decideApproval,
  expireOverdue,
  overdueRuns,
  pauseForApproval,
  type Resumable,
  type ToolApproval,
} from "@trainer2/db/queries/tool-approvals";
import { AppError } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import { ROOT_CONTEXT, spanNames } from "@trainer2/shared/telemetry";
import type { Approval, ApprovalDecision, ClientFrame, ServerEvent } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { type PausedCall, Run, type RunEnding } from "./run.ts";
import { driveRun } from "./run-end.ts";
import { callAgent } from "./run-stream.ts";
import { agentCallParts, runRequest } from "./turn-setup.ts";

type ApprovalFrame = Extract<ClientFrame, { type: "approval" }>;
type Paused = Extract<RunEnding, { kind: "paused" }>;

/** The sentence on the card: the tool's own wording of this call, else a plain fallback. */
async function summaryOf(ctx: RealtimeContext, userId: string, call: PausedCall) {
  const tool = (await ctx.tools()).find((candidate) => candidate.name === call.name);
  const parsed = tool?.input.safeParse(call.arguments);
  if (tool?.approval && parsed?.success) {
    try {
      return await tool.approval.summary({ sql: ctx.sql, userId }, parsed.data);
    } catch (error) {
      ctx.logger.warn("approval summary failed", { tool: call.name, error });
    }
  }
  return `Let the trainer use the ${call.name} tool.`;
}

/** Stores the pause (null: a peer had interrupted the answer, which stands). */
export async function pauseRun(ctx: RealtimeContext, run: Run, ending: Paused) {
  const summaries = await Promise.all(ending.calls.map((call) => summaryOf(ctx, run.userId, call)));
  const paused = await ctx.sql.begin((tx) =>
    pauseForApproval(tx, {
      messageId: run.messageId,
      runId: run.runId,
      userId: run.userId,
      sessionId: run.sessionId,
      content: run.text,
      tools: run.endedTools(),
      runState: ending.state,
      calls: ending.calls.map((call, index) => ({
        callId: call.callId,
        tool: call.name,
        arguments: call.arguments,
        summary: summaries[index]!,
      })),
      expiresAt: new Date(ctx.now() + ctx.options.approvalTimeoutMs),
    }),
  );
  return paused;
}

export function toApprovalDto(approval: ToolApproval): Approval {
  const args = approval.arguments;
  return {
    runId: approval.runId,
    callId: approval.callId,
    name: approval.tool,
    arguments: typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {},
    summary: approval.summary,
    expiresAt: approval.expiresAt,
  };
}

export function approvalRequested(
  approval: ToolApproval,
  sessionId: string,
  seq: number,
): Extract<ServerEvent, { type: "approval.requested" }> {
  return { type: "approval.requested", ...toApprovalDto(approval), sessionId, seq };
}

/** After the pause is stored: the answer as it stands, and one card per stored call. */
export async function announcePause(ctx: RealtimeContext, run: Run, approvals: ToolApproval[]) {
  const { sessionId, userId } = run;
  ctx.hub.toSession(userId, sessionId, {
    type: "message",
    sessionId,
    message: run.current(run.placeholder),
  });
  for (const approval of approvals)
    ctx.hub.toSession(userId, sessionId, approvalRequested(approval, sessionId, run.seq));
}

/** `approval {runId, callId, decision, reason?}` from the run's user, on any api process. */
export async function decideFrame(ctx: RealtimeContext, client: Client, frame: ApprovalFrame) {
  const { hub } = ctx;
  // The answer may become `streaming` with this process as owner: not an orphan to a sweep.
  const unclaim = hub.claim(frame.runId);
  let resumable: Resumable | null = null;
  let outcome: Awaited<ReturnType<typeof decideApproval>>;
  try {
    ({ outcome, resumable } = await ctx.sql.begin(async (tx) => {
      const decided = await decideApproval(tx, {
        runId: frame.runId,
        callId: frame.callId,
        userId: client.userId,
        decision: frame.decision,
        reason: frame.reason || null,
        expiredReason: expiredReason(ctx),
      });
      const ready =
        decided.kind === "decided" || decided.kind === "expired"
          ? await claimResume(tx, {
              runId: frame.runId,
              userId: client.userId,
              ownerId: hub.bus.processId,
            })
          : null;
      return { outcome: decided, resumable: ready };
    }));
  } catch (error) {
    unclaim();
    throw error;
  }
  // Every refusal names the call, so the page knows which card (and queued frame) it answers.
  const call = { runId: frame.runId, callId: frame.callId };
  if (outcome.kind === "not_found") {
    unclaim();
    throw new AppError("not_found", "No such tool call is waiting for your decision.", {
      details: call,
    });
  }
  if (outcome.kind === "already") {
    unclaim();
    throw new AppError("conflict", "This tool call was already decided.", {
      details: { ...call, sessionId: outcome.approval.sessionId ?? undefined },
    });
  }
  announceDecision(ctx, outcome.approval);
  if (resumable) await resumeRun(ctx, resumable, client.userId);
  else unclaim();
  if (outcome.kind === "expired")
    throw new AppError("approval_expired", undefined, { details: call });
}

function expiredReason(ctx: RealtimeContext): string {
  const minutes = Math.max(1, Math.round(ctx.options.approvalTimeoutMs / 60_000));
  return `The person did not decide within ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

function announceDecision(ctx: RealtimeContext, approval: ToolApproval) {
  if (!approval.sessionId) return;
  const decision = approval.status === "pending" ? "expired" : approval.status;
  ctx.hub.toSession(approval.userId, approval.sessionId, {
    type: "approval.decided",
    runId: approval.runId,
    sessionId: approval.sessionId,
    callId: approval.callId,
    decision,
  });
}

/** What the model reads for a call it may not make: the one error shape of tool outputs. */
function refusalFor(approval: ToolApproval): string {
  const code = approval.status === "expired" ? "approval_expired" : "approval_rejected";
  const said =
    approval.status === "expired"
      ? `${approval.reason ?? "The person did not decide in time."} So this call was not made.`
      : `The person rejected this call, so it was not made.${approval.reason ? ` Their reason: ${approval.reason}` : ""}`;
  return JSON.stringify({ error: { code, message: said || failures[code].message } });
}

function decisionsOf(approvals: ToolApproval[]) {
  return approvals.map((approval) => {
    const decision: ApprovalDecision = approval.status === "approved" ? "approve" : "reject";
    return decision === "approve"
      ? { callId: approval.callId, decision }
      : { callId: approval.callId, decision, message: refusalFor(approval) };
  });
}

/**
 * Resumes a claimed run (its answer is `streaming`, owned here): a Run that starts from the
 * text and lines so far, the agent called with the stored state and the decisions, then
 * driven to its stored end like any turn. Budgets apply: a refused reservation ends it.
 */
async function resumeRun(ctx: RealtimeContext, resumable: Resumable, userId: string) {
  const { message, sessionId } = resumable;
  const runId = message.runId!;
  const span = ctx.telemetry.startSpan(
    spanNames.chatTurn,
    { "enduser.id": userId, "session.id": sessionId, "chat.run_id": runId, "chat.resumed": true },
    { parent: ROOT_CONTEXT },
  );
  const question = await questionBefore(ctx.sql, sessionId, message.seq);
  const clientMsgId = question?.clientMsgId ?? runId;
  const run = new Run(
    {
      runId,
      userId,
      sessionId,
      clientMsgId,
      userMessage: question ?? message,
      placeholder: message,
    },
    span,
    performance.now(),
  );
  run.text = message.content;
  run.tools.push(...(message.tools ?? []));
  const ids = { runId, userId, sessionId };
  const [history, { capabilitiesVersion, runToken }, budget] = await Promise.all([
    historyItems(ctx.sql, sessionId, question?.seq ?? message.seq),
    agentCallParts(ctx, ids),
    ctx.budgets.reserve({ userId, runId, sessionId, text: "", clientMsgId, span }),
  ]);
  const request = runRequest(ctx, ids, question?.content ?? "", history, capabilitiesVersion, {
    state: resumable.runState,
    decisions: decisionsOf(resumable.approvals),
  });
  try {
    budget.allow();
  } catch (error) {
    // A budget used up ends the resumed answer (the decisions stand).
    run.controller.abort(error);
  }
  const call = callAgent(ctx, request, runToken, run.controller.signal);
  ctx.hub.startRun(run);
  ctx.hub.toSession(userId, sessionId, run.startedEvent());
  void driveRun(ctx, run, call);
}

/** Rejects every call past its time to decide, and resumes the runs that no longer wait. */
export async function expireApprovals(ctx: RealtimeContext): Promise<void> {
  const runs = await overdueRuns(ctx.sql);
  for (const { runId, userId } of runs) {
    const unclaim = ctx.hub.claim(runId);
    try {
      const { expired, resumable } = await ctx.sql.begin(async (tx) => {
        const marked = await expireOverdue(tx, { runId, userId, reason: expiredReason(ctx) });
        const ready =
          marked.length > 0
            ? await claimResume(tx, { runId, userId, ownerId: ctx.hub.bus.processId })
            : null;
        return { expired: marked, resumable: ready };
      });
      for (const approval of expired) announceDecision(ctx, approval);
      if (resumable) await resumeRun(ctx, resumable, userId);
      else unclaim();
    } catch (error) {
      unclaim();
      ctx.logger.warn("could not expire approvals", { runId, error });
    }
  }
}
