/**
 * One SDK tool per synced tool spec. Execution happens in the api (`POST /tools/:name`): the
 * agent only forwards the model's arguments with its JWT, the run token and the call id, and
 * hands the api's `{result}` or `{error}` answer back to the model as the tool output.
 *
 * The tools are built once per synced surface, not per run (building them, strict schemas
 * included, was ~7% of the agent's CPU per turn): what belongs to one run (its token, signal,
 * event sink) reaches `execute` as the SDK's run context, so a tool cannot act for another run.
 */

import {
  type FunctionTool,
  getCurrentSpan,
  type RunContext,
  tool,
  UserError,
} from "@openai/agents";
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
import { agentJwtTtlSeconds, type KeyLike, signAgentJwt } from "@trainer2/shared/tokens";
import {
  headers,
  type RunStreamEvent,
  type ToolResponse,
  type ToolSpec,
  toolResponse,
} from "@trainer2/shared/wire";
import type { GenAiSpanBridge } from "../telemetry/genai-bridge.ts";
import { askApproval } from "./approval-policy.ts";
import { isStrictReady } from "./strict-schema.ts";

/** What every run's tools share. */
export type ToolDeps = {
  apiUrl: string;
  /** The agent's JWT for the api, re-signed only when close to expiry. */
  agentJwt: () => Promise<string>;
  logger: Logger;
  telemetry: Telemetry;
  /** Owns the execute_tool span of each call (made from the SDK's function span). */
  genAi: GenAiSpanBridge;
  timeoutMs?: number;
};

/** What belongs to one run: handed to the SDK as the run's context (`runner.run({context})`). */
export type RunToolScope = {
  runToken: string;
  runId: string;
  /** Aborted when the run ends early (client gone, model timeout). */
  signal: AbortSignal;
  emit: (event: RunStreamEvent) => void;
  /** Tool calls in flight pause the model-idle watchdog. */
  onBusy: (busy: boolean) => void;
};

/**
 * A cached agent JWT (signing costs CPU: ~1 ms with an RSA key): reused until `renewBeforeS` before
 * it expires, so a tool call never carries a token about to lapse.
 */
export function cachedAgentJwt(
  privateKey: KeyLike,
  ttlSeconds = agentJwtTtlSeconds,
  renewBeforeS = Math.min(30, ttlSeconds / 2),
  clock: () => number = Date.now,
): () => Promise<string> {
  let current: { token: Promise<string>; renewAt: number } | undefined;
  return () => {
    const now = clock();
    if (!current || now >= current.renewAt) {
      const token = signAgentJwt(privateKey, ttlSeconds);
      current = { token, renewAt: now + (ttlSeconds - renewBeforeS) * 1000 };
      // A failed signing is not kept: the next call signs again.
      token.catch(() => {
        if (current?.token === token) current = undefined;
      });
    }
    return current.token;
  };
}

function scopeOf(runContext: unknown): RunToolScope {
  const scope = (runContext as RunContext<RunToolScope> | undefined)?.context;
  // Only executeRun runs these tools, always with its scope; anything else is a bug.
  if (!scope?.runToken) throw new Error("a tool ran outside of a run (no run scope)");
  return scope;
}

const unreachable = (message: string): ToolResponse => ({
  error: { code: "tool_unavailable", message },
});

/**
 * POST `path` on the api as the agent, for the run: its JWT, the run token, the arguments as
 * the body, stopped with the run or after the timeout. Bun's fetch is not instrumented: the
 * api continues the current span from traceparent.
 */
export async function postToApi(
  path: string,
  args: unknown,
  deps: Pick<ToolDeps, "apiUrl" | "agentJwt" | "timeoutMs">,
  run: Pick<RunToolScope, "runToken" | "signal">,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  return fetch(new URL(path, deps.apiUrl), {
    method: "POST",
    headers: injectTraceparent({
      authorization: `Bearer ${await deps.agentJwt()}`,
      "content-type": "application/json",
      [headers.runToken]: run.runToken,
      ...extraHeaders,
    }),
    body: JSON.stringify(args ?? {}),
    signal: AbortSignal.any([run.signal, AbortSignal.timeout(deps.timeoutMs ?? 30_000)]),
  });
}

async function callApi(
  spec: ToolSpec,
  args: unknown,
  callId: string,
  deps: ToolDeps,
  run: RunToolScope,
) {
  const response = await postToApi(`/tools/${spec.name}`, args, deps, run, {
    [headers.toolCallId]: callId,
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

function toSdkTool(spec: ToolSpec, deps: ToolDeps): FunctionTool {
  const api = new URL(deps.apiUrl);
  const execute = async (
    args: unknown,
    runContext: unknown,
    details?: { toolCall?: { callId?: string } },
  ) => {
    const run = scopeOf(runContext);
    const callId = details?.toolCall?.callId ?? crypto.randomUUID();
    const running = spec.activity.running;
    run.emit({ type: "tool", name: spec.name, status: "started", summary: running, callId });
    run.onBusy(true);
    // The SDK's function span is current here: its execute_tool span gets the call id, and
    // the request to the api nests under it.
    const toolSpan = deps.genAi.toolSpan(getCurrentSpan());
    toolSpan?.setCallId(callId);
    let outcome: ToolResponse;
    try {
      outcome = await deps.telemetry.withSpan(
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
          const answer = await callApi(spec, args, callId, deps, run);
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
      if (run.signal.aborted) throw error;
      deps.logger.warn("tool call failed", {
        tool: spec.name,
        runId: run.runId,
        cause: error,
      });
      outcome = unreachable(failures.tool_unavailable.message);
      toolSpan?.fail("tool_unavailable");
    } finally {
      run.onBusy(false);
    }
    run.emit({
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
    needsApproval: approvalOf(spec, deps),
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

/**
 * The SDK's `needsApproval` from the published mode: `always` and `never` as they are; a
 * `conditional` call is asked of the api (its rule reads the person's data), with the run's
 * own token. Either way the api decides again when the call runs.
 */
function approvalOf(spec: ToolSpec, deps: ToolDeps) {
  if (spec.approval !== "conditional") return spec.approval === "always";
  return (runContext: unknown, input: unknown) =>
    askApproval(spec.name, input, deps, scopeOf(runContext));
}

export function buildTools(specs: ToolSpec[], deps: ToolDeps): FunctionTool[] {
  return specs.map((spec) => toSdkTool(spec, deps));
}
