/**
 * One tool call, in ONE transaction with its audit row. The row is claimed first
 * (insert … on conflict do nothing on (run_id, tool_call_id)), so a retry or a concurrent
 * twin finds it and answers with the stored outcome instead of running the tool again.
 * The tool runs inside a savepoint: when it fails, its writes are undone but the audit row
 * (status error) still commits.
 */
import type { Sql, TransactionSql } from "@trainer2/db";
import { runScope } from "@trainer2/db/queries/messages";
import { findApproval } from "@trainer2/db/queries/tool-approvals";
import {
  claimToolCall,
  findToolCall,
  finishToolCall,
  type ToolCallRecord,
  type ToolCallStatus,
} from "@trainer2/db/queries/tool-calls";
import { AppError, toAppError } from "@trainer2/shared/errors";
import { type FailureCode, failures, isFailureCode } from "@trainer2/shared/failures";
import { nulPath, nulRefusal, withoutNul } from "@trainer2/shared/nul";
import type { RunClaims } from "@trainer2/shared/tokens";
import type { ToolResponse } from "@trainer2/shared/wire";
import { canonicalJson } from "../capabilities/canonical-json.ts";
import { needsApproval, type Tool } from "./define-tool.ts";

export type ToolError = {
  code: FailureCode;
  message: string;
  issues?: { path: string; message: string }[];
};

export type CallRequest = {
  run: RunClaims;
  toolCallId: string;
  toolName: string;
  /** The parsed JSON body, or undefined when it was not JSON (`bodyError` says why). */
  args: unknown;
  bodyError?: string;
  /** performance.now() when the request arrived, for duration_ms. */
  startedAt: number;
};

export type CallResult = {
  httpStatus: number;
  response: ToolResponse;
  /** True when the stored outcome of an earlier identical call was returned. */
  replayed: boolean;
  /** The tool ran, succeeded and may have changed data: the caller notifies after commit. */
  changedData: boolean;
  /** The failure's cause, for the log (never sent to the client). */
  cause?: unknown;
};

type Outcome = {
  status: ToolCallStatus;
  result?: unknown;
  error?: ToolError;
  changedData: boolean;
  cause?: unknown;
};

function toResult(outcome: Outcome, replayed: boolean): CallResult {
  if (outcome.status === "ok") {
    return {
      httpStatus: 200,
      response: { result: outcome.result ?? null },
      replayed,
      changedData: outcome.changedData,
    };
  }
  const error = outcome.error ?? { code: "internal", message: "The tool failed." };
  return {
    httpStatus: failures[error.code].status,
    response: { error },
    replayed,
    changedData: false,
    cause: outcome.cause,
  };
}

function fromRecord(record: ToolCallRecord): Outcome {
  if (record.status === "ok") return { status: "ok", result: record.result, changedData: false };
  return { status: record.status, error: storedError(record.result), changedData: false };
}

/** A stored error as the caller was given it; a code this version does not know is internal. */
function storedError(result: unknown): ToolError {
  const error = result as ToolError;
  return isFailureCode(error?.code) ? error : { ...error, code: "internal" };
}

const issuePath = (path: PropertyKey[]) => path.map(String).join(".");

function invalid(issues: { path: string; message: string }[]): Outcome {
  const named = issues.map((issue) => `${issue.path || "(arguments)"}: ${issue.message}`);
  return {
    status: "invalid",
    error: { code: "invalid_arguments", message: `Invalid arguments: ${named.join("; ")}`, issues },
    changedData: false,
  };
}

async function evaluate(
  tx: TransactionSql,
  tools: Tool[],
  request: CallRequest,
  scope: { owned: boolean; live: boolean },
): Promise<Outcome> {
  if (!scope.owned) {
    return {
      status: "refused",
      error: { code: "forbidden", message: "This run may not act on that session." },
      changedData: false,
    };
  }
  // A token seen once must not keep acting after its run: only while the answer is written.
  if (!scope.live) {
    return {
      status: "refused",
      error: { code: "run_ended", message: "This run is no longer being answered." },
      changedData: false,
    };
  }
  const tool = tools.find((candidate) => candidate.name === request.toolName);
  if (!tool) {
    return {
      status: "error",
      error: { code: "not_found", message: `There is no tool named "${request.toolName}".` },
      changedData: false,
    };
  }
  if (request.bodyError) {
    return {
      status: "invalid",
      error: { code: "invalid_arguments", message: request.bodyError, issues: [] },
      changedData: false,
    };
  }
  const parsed = tool.input.safeParse(request.args);
  if (!parsed.success) {
    return invalid(
      parsed.error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message })),
    );
  }
  // Postgres cannot store U+0000: refused here, naming where it is.
  const withNul = nulPath(parsed.data);
  if (withNul) return invalid([{ path: issuePath(withNul), message: nulRefusal }]);
  const { userId, sessionId, runId } = request.run;
  const gate = await approvalGate(tx, tool, request, parsed.data);
  if (gate) return gate;
  try {
    const result = await tx.savepoint((sp) =>
      tool.handler({ tx: sp, userId, sessionId, runId }, parsed.data),
    );
    // Results travel as JSON: normalise now so the stored and the returned value agree.
    return {
      status: "ok",
      result: JSON.parse(JSON.stringify(result ?? null)),
      changedData: tool.mutates,
    };
  } catch (error) {
    const appError = toAppError(error);
    return {
      status: "error",
      error: { code: appError.code, message: appError.message },
      changedData: false,
      cause: error,
    };
  }
}

/**
 * A tool that needs approval runs only with the person's recorded approval of exactly this
 * call: its run (from the run token), call id, tool and arguments. Whatever the agent sends,
 * it cannot skip the person: anything else is refused with `approval_required`.
 */
async function approvalGate(
  tx: TransactionSql,
  tool: Tool,
  request: CallRequest,
  args: unknown,
): Promise<Outcome | undefined> {
  const { userId, runId } = request.run;
  if (!(await needsApproval(tool, { sql: tx, userId }, args))) return undefined;
  const approval = await findApproval(tx, runId, request.toolCallId);
  const matches =
    approval !== null &&
    approval.status === "approved" &&
    approval.userId === userId &&
    approval.tool === tool.name &&
    canonicalJson(approval.arguments) === canonicalJson(request.args);
  if (matches) return undefined;
  return {
    status: "refused",
    error: {
      code: "approval_required",
      message: approval
        ? `The person's decision does not allow this call (${approval.status}).`
        : "This call needs the person's approval, and they have not approved it.",
    },
    changedData: false,
  };
}

export async function callTool(sql: Sql, tools: Tool[], request: CallRequest): Promise<CallResult> {
  const { run, toolCallId, toolName } = request;
  return sql.begin(async (tx) => {
    const scope = await runScope(tx, run);
    const { owned } = scope;
    const claimed = await claimToolCall(tx, {
      toolCallId,
      runId: run.runId,
      userId: run.userId,
      // A refused call is recorded against its user only: it must not touch another's rows.
      sessionId: owned ? run.sessionId : null,
      tool: toolName,
      arguments: request.args,
    });
    if (!claimed) {
      const stored = await findToolCall(tx, run.runId, toolCallId);
      if (!stored) throw new AppError("internal", "The tool call record vanished.");
      // Compared as stored: a NUL in the name was replaced on the way in.
      if (stored.tool !== withoutNul(toolName)) {
        throw new AppError("conflict", "This tool call id was already used for another tool.");
      }
      return toResult(fromRecord(stored), true);
    }
    const outcome = await evaluate(tx, tools, request, scope);
    await finishToolCall(tx, claimed, {
      status: outcome.status,
      result: outcome.status === "ok" ? outcome.result : outcome.error,
      errorCode: outcome.status === "ok" ? null : (outcome.error?.code ?? "internal"),
      durationMs: performance.now() - request.startedAt,
    });
    return toResult(outcome, false);
  });
}
