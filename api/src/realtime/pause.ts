/**
 * A run that paused for the person's approval of tool calls (approvals.ts has the decisions):
 * its answer stored `awaiting_approval` with the SDK's run state, a pending `tool_approvals`
 * row per call with the sentence its card shows, and the cards announced to the session's
 * sockets once that is stored. The run's end (run-end.ts) stores a pause here.
 */
import type { ToolApproval } from "@trainer2/db/queries/tool-approvals";
import { pauseForApproval } from "@trainer2/db/queries/tool-approvals";
import type { Approval, ServerEvent } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { PausedCall, Run, RunEnding } from "./run.ts";

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
