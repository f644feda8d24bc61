/**
 * The tool lines of stored assistant messages, from the audit trail of each message's run,
 * so a reload (GET /state) or a resume shows what the live page showed.
 */

import { type RunToolCall, toolCallsOfRuns } from "@trainer2/db/queries/tool-calls";
import type { Queryable } from "@trainer2/db/queries/users";
import { toolCallSummary } from "@trainer2/shared/tool-lines";
import type { Message, MessageTool } from "@trainer2/shared/wire";

/** The line as the live `tool` event ended it; refused and invalid calls are errors too. */
export function toolLineOf(call: RunToolCall): MessageTool {
  const ok = call.status === "ok";
  const summary = toolCallSummary(
    call.tool,
    ok ? { ok: true } : { ok: false, message: errorMessageOf(call.result) },
  );
  return { name: call.tool, status: ok ? "ok" : "error", ...(summary ? { summary } : {}) };
}

function errorMessageOf(result: unknown): string | undefined {
  // jsonb may arrive as text from some drivers (PGlite's socket): read it either way.
  let value = result;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === "string" && message ? message : undefined;
}

/**
 * Each assistant message with its run's tool lines (an empty list when it made no calls),
 * looked up in one query for the whole page. User messages are returned as they are: their
 * run id is the one they started, whose calls belong to the answer.
 */
export async function withTools(sql: Queryable, messages: Message[]): Promise<Message[]> {
  const runIds = messages.flatMap((m) => (m.role === "assistant" && m.runId ? [m.runId] : []));
  if (runIds.length === 0) return messages;
  const calls = await toolCallsOfRuns(sql, runIds);
  return messages.map((message) =>
    message.role === "assistant" && message.runId
      ? { ...message, tools: (calls.get(message.runId) ?? []).map(toolLineOf) }
      : message,
  );
}
