/**
 * POST /tools/:name for the agent: agent JWT + the run token the api issued for the run
 * (`x-run-token`) + the model's tool call id (`x-tool-call-id`). The body is the
 * arguments object. Answers `{result}` or the one error body `{error:{code, message}}`
 * (the `toolResponse` wire shape, also for auth failures, so the agent parses one shape).
 */
import type { Sql } from "@trainer2/db";
import { AppError, errorResponse } from "@trainer2/shared/errors";
import { readBodyText } from "@trainer2/shared/http";
import type { Metrics } from "@trainer2/shared/metrics";
import {
  genAiAttributes,
  recordError,
  spanNames,
  type Telemetry,
} from "@trainer2/shared/telemetry";
import { type KeyLike, type RunClaims, TokenError, verifyRunToken } from "@trainer2/shared/tokens";
import { headers } from "@trainer2/shared/wire";
import type { Context } from "hono";
import { z } from "zod";
import { requireAgent } from "../capabilities/agent-auth.ts";
import { callTool } from "./call-tool.ts";
import type { Tool } from "./define-tool.ts";

/** Tool arguments are small; anything bigger is a mistake or an attack. */
export const maxArgumentsBytes = 64 * 1024;

export type ToolLogger = { error(message: string, fields?: Record<string, unknown>): void };

export type ToolRouteDeps = {
  sql: Sql;
  tools: () => Promise<Tool[]>;
  apiPublicKey: KeyLike;
  agentPublicKey: KeyLike;
  onStateChanged: (userId: string, sessionId: string) => void;
  logger: ToolLogger;
  telemetry: Telemetry;
  metrics: Pick<Metrics, "recordToolCall">;
};

const toolCallIdHeader = z.string().trim().min(1).max(200);
const runClaims = z.object({ userId: z.uuid(), sessionId: z.uuid(), runId: z.uuid() });

export function failure(c: Context, error: unknown) {
  const { body, status } = errorResponse(error);
  return c.json(body, status as 400);
}

export async function requireRun(
  token: string | undefined,
  publicKey: KeyLike,
): Promise<RunClaims> {
  if (!token) throw new AppError("unauthorized", `Missing run token (${headers.runToken}).`);
  try {
    return runClaims.parse(await verifyRunToken(token, publicKey));
  } catch (error) {
    const reason = error instanceof TokenError ? error.message : "claims are malformed";
    throw new AppError("unauthorized", `Run token refused: ${reason}.`, { cause: error });
  }
}

class BodyTooLarge extends Error {}

export async function readArguments(c: Context): Promise<{ args: unknown; bodyError?: string }> {
  const tooLarge = { args: undefined, bodyError: `Arguments exceed ${maxArgumentsBytes} bytes.` };
  // Refused when declared too large, or once the bytes read pass the limit (a chunked body
  // has no Content-Length): never read whole first.
  let text: string;
  try {
    text = await readBodyText(c.req.raw, maxArgumentsBytes, () => {
      throw new BodyTooLarge();
    });
  } catch (error) {
    if (error instanceof BodyTooLarge) return tooLarge;
    throw error;
  }
  try {
    return { args: JSON.parse(text) };
  } catch {
    return { args: undefined, bodyError: "The body must be the arguments as a JSON object." };
  }
}

export function toolCallHandler(deps: ToolRouteDeps) {
  return async (c: Context) => {
    const startedAt = performance.now();
    let run: RunClaims;
    let toolCallId: string;
    try {
      await requireAgent(c.req.header("authorization"), deps.agentPublicKey);
      run = await requireRun(c.req.header(headers.runToken), deps.apiPublicKey);
      const id = toolCallIdHeader.safeParse(c.req.header(headers.toolCallId));
      if (!id.success) {
        throw new AppError("bad_request", `Missing or invalid ${headers.toolCallId} header.`);
      }
      toolCallId = id.data;
    } catch (error) {
      return failure(c, error);
    }

    const toolName = c.req.param("name") ?? "";
    const { args, bodyError } = await readArguments(c);
    // Names from the URL become span names and metric labels only when they are real tools.
    const known = await deps.tools().then(
      (tools) => tools.some((tool) => tool.name === toolName),
      () => false,
    );
    const label = known ? toolName : "unknown";
    return deps.telemetry.withSpan(
      spanNames.toolHandler(label),
      {
        [genAiAttributes.toolName]: label,
        [genAiAttributes.toolCallId]: toolCallId,
        "chat.run_id": run.runId,
      },
      async (span) => {
        try {
          const tools = await deps.tools();
          const result = await deps.telemetry.withSpan(
            spanNames.db("tool_calls.transaction"),
            {
              "db.system.name": "postgresql",
              "db.operation.name": "transaction",
              "db.collection.name": "tool_calls",
            },
            () =>
              callTool(deps.sql, tools, { run, toolCallId, toolName, args, bodyError, startedAt }),
          );
          const ok = "result" in result.response;
          span.setAttribute("tool.outcome", ok ? "ok" : "error");
          // A replay answers a retry of a call already counted.
          if (!result.replayed) deps.metrics.recordToolCall(label, ok ? "ok" : "error");
          if (result.cause !== undefined) {
            deps.logger.error("tool failed", {
              tool: toolName,
              runId: run.runId,
              cause: result.cause,
            });
          }
          // After commit: the state event must show what was written.
          if (result.changedData && !result.replayed) notify(deps, run);
          if (result.replayed) c.header("x-idempotent-replay", "true");
          return c.json(result.response, result.httpStatus as 200);
        } catch (error) {
          recordError(span, error);
          deps.metrics.recordToolCall(label, "error");
          if (!(error instanceof AppError) || error.code === "internal") {
            deps.logger.error("tool call failed", {
              tool: toolName,
              runId: run.runId,
              cause: error,
            });
          }
          return failure(c, error);
        }
      },
    );
  };
}

function notify(deps: ToolRouteDeps, run: RunClaims) {
  try {
    deps.onStateChanged(run.userId, run.sessionId);
  } catch (error) {
    // The write is committed; a failed notification must not turn it into an error.
    deps.logger.error("state notification failed", { runId: run.runId, cause: error });
  }
}
