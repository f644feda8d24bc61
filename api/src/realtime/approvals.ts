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
  type Resumable,
  type ToolApproval,
} from "@trainer2/db/queries/tool-approvals";
import { AppError } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import type { AgentItem, ApprovalDecision, ClientFrame, Message } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { startRun } from "./run-lifecycle.ts";

type ApprovalFrame = Extract<ClientFrame, { type: "approval" }>;

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
  if (resumable) await resumeRun(ctx, resumable, client.userId, unclaim, client);
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
 * The resume's entrance to the run lifecycle (run-lifecycle.ts): a claimed run (its answer is
 * `streaming`, owned here, claimed in the transaction that recorded the last decision) goes
 * on from the text and lines so far, the agent called with the stored state and the
 * decisions. It is judged by the daily and concurrent limits like any run and reserves again
 * (it takes no turn of the minute: the person's decision is not a new message). Its rows
 * exist before it starts, so a failure of any step (the database, a budget used up) ends the
 * answer through the run's end path: stored failed or interrupted, the sockets told, the
 * decisions standing.
 */
async function resumeRun(
  ctx: RealtimeContext,
  resumable: Resumable,
  userId: string,
  claimed: () => void,
  client?: Client,
) {
  const { message, sessionId } = resumable;
  const runId = message.runId!;
  type Read = { question: Message | null; history: AgentItem[] };
  const idsFrom = (question: Message | null) => ({
    runId,
    userId,
    sessionId,
    clientMsgId: question?.clientMsgId ?? runId,
    userMessage: question ?? message,
    placeholder: message,
  });
  await startRun<Read>(ctx, {
    kind: "resume",
    userId,
    runId,
    sessionId,
    client,
    budget: {
      sessionId,
      text: message.content,
      clientMsgId: null,
      beforeSeq: message.seq,
      countsAsTurn: false,
    },
    attributes: { "chat.resumed": true },
    claimed,
    announceQuestion: false,
    async read() {
      const question = await questionBefore(ctx.sql, sessionId, message.seq);
      const history = await historyItems(ctx.sql, sessionId, question?.seq ?? message.seq);
      return { question, history };
    },
    async store({ question, history }) {
      return {
        ids: idsFrom(question),
        agentInput: () => ({
          input: question?.content ?? "",
          history,
          resume: { state: resumable.runState, decisions: decisionsOf(resumable.approvals) },
        }),
      };
    },
    claimedRows: (read) => idsFrom(read?.question ?? null),
    async notStored(error) {
      ctx.logger.error("a resumed run could not start", { runId, error });
    },
  });
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
      if (resumable) await resumeRun(ctx, resumable, userId, unclaim);
      else unclaim();
    } catch (error) {
      unclaim();
      ctx.logger.warn("could not expire approvals", { runId, error });
    }
  }
}
