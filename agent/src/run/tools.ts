/**
 * One SDK tool per synced tool spec. Execution happens in the api (`POST /tools/:name`): the
 * agent only forwards the model's arguments with its JWT, the run token and the call id, and
 * hands the api's `{result}` or `{error}` answer back to the model as the tool output.
 */

import { type FunctionTool, getCurrentSpan, tool, UserError } from "@openai/agents";
import { failures } from "@trainer2/shared/failures";
import type { Logger } from "@trainer2/shared/logger";
import {
  activeContext,
  genAiAttributes,
  injectTraceparent,
  SpanKind,
  SpanStatusCode,
  spanNames,
  type Telemetry,
} from "@trainer2/shared/telemetry";
import { type KeyLike, signAgentJwt } from "@trainer2/shared/tokens";
import {
  headers,
  type RunStreamEvent,
  type ToolResponse,
  type ToolSpec,
  toolResponse,
} from "@trainer2/shared/wire";
import type { GenAiSpanBridge } from "../telemetry/genai-bridge.ts";
import { isStrictReady } from "./strict-schema.ts";

export type ToolContext = {
  apiUrl: string;
  agentPrivateKey: KeyLike;
  runToken: string;
  runId: string;
  /** Aborted when the run ends early (client gone, model timeout). */
  signal: AbortSignal;
  emit: (event: RunStreamEvent) => void;
  /** Tool calls in flight pause the model-idle watchdog. */
  onBusy: (busy: boolean) => void;
  logger: Logger;
  telemetry: Telemetry;
  /** Owns the execute_tool span of each call (made from the SDK's function span). */
  genAi: GenAiSpanBridge;
  timeoutMs?: number;
};

const unreachable = (message: string): ToolResponse => ({
  error: { code: "tool_unavailable", message },
});

async function callApi(spec: ToolSpec, args: unknown, callId: string, context: ToolContext) {
  const token = await signAgentJwt(context.agentPrivateKey);
  const response = await fetch(new URL(`/tools/${spec.name}`, context.apiUrl), {
    method: "POST",
    // Bun's fetch is not instrumented: the api continues this tool span from traceparent.
    headers: injectTraceparent({
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      [headers.runToken]: context.runToken,
      [headers.toolCallId]: callId,
    }),
    body: JSON.stringify(args ?? {}),
    signal: AbortSignal.any([context.signal, AbortSignal.timeout(context.timeoutMs ?? 30_000)]),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = toolResponse.safeParse(json);
  if (parsed.success) return parsed.data;
  return unreachable(`the api answered ${response.status}`);
}

/**
 * The sentence the person sees for a finished call, from the tool's published `activity`:
 * done, or the tool's own error message (it says what went wrong), else its failed wording.
 */
function summaryOf(spec: ToolSpec, outcome: ToolResponse): string {
  if ("result" in outcome) return spec.activity.done;
  return outcome.error.message || spec.activity.failed;
}

function toSdkTool(spec: ToolSpec, context: ToolContext): FunctionTool {
  const execute = async (
    args: unknown,
    _run: unknown,
    details?: { toolCall?: { callId?: string } },
  ) => {
    const callId = details?.toolCall?.callId ?? crypto.randomUUID();
    const running = spec.activity.running;
    context.emit({ type: "tool", name: spec.name, status: "started", summary: running, callId });
    context.onBusy(true);
    // The SDK's function span is current here: its execute_tool span gets the call id, and
    // the request to the api nests under it.
    const toolSpan = context.genAi.toolSpan(getCurrentSpan());
    toolSpan?.setCallId(callId);
    let outcome: ToolResponse;
    try {
      const api = new URL(context.apiUrl);
      outcome = await context.telemetry.withSpan(
        spanNames.toolRequest,
        {
          "http.request.method": "POST",
          "url.template": "/tools/:name",
          [genAiAttributes.serverAddress]: api.hostname,
          [genAiAttributes.serverPort]: Number(api.port) || (api.protocol === "https:" ? 443 : 80),
          [genAiAttributes.toolName]: spec.name,
          [genAiAttributes.toolCallId]: callId,
        },
        async (span) => {
          const answer = await callApi(spec, args, callId, context);
          if ("error" in answer) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: answer.error.code });
            toolSpan?.fail(answer.error.code);
          }
          return answer;
        },
        { kind: SpanKind.CLIENT, parent: toolSpan?.context ?? activeContext() },
      );
    } catch (error) {
      // The run itself was aborted: let the SDK stop; there is nobody to tell.
      if (context.signal.aborted) throw error;
      context.logger.warn("tool call failed", {
        tool: spec.name,
        runId: context.runId,
        cause: error,
      });
      outcome = unreachable(failures.tool_unavailable.message);
      toolSpan?.fail("tool_unavailable");
    } finally {
      context.onBusy(false);
    }
    context.emit({
      type: "tool",
      name: spec.name,
      status: "result" in outcome ? "ok" : "error",
      summary: summaryOf(spec, outcome),
      callId,
    });
    return JSON.stringify(outcome);
  };
  const base = {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters as never,
    execute,
    // Errors are already model-visible outcomes; anything else should end the run.
    errorFunction: null,
  };
  // Strict only for a schema that needs no rewriting; any other is sent exactly as published.
  if (!isStrictReady(spec.parameters)) return tool({ ...base, strict: false }) as never;
  try {
    return tool({ ...base, strict: true }) as unknown as FunctionTool;
  } catch (error) {
    // The SDK refuses schemas strict mode cannot express (open objects, oneOf, …).
    if (!(error instanceof UserError)) throw error;
    return tool({ ...base, strict: false }) as unknown as FunctionTool;
  }
}

export function buildTools(specs: ToolSpec[], context: ToolContext): FunctionTool[] {
  return specs.map((spec) => toSdkTool(spec, context));
}
