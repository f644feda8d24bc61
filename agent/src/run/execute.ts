/**
 * One run: the Agent of the synced tools (built once per surface and instructions, see
 * `agentCache`), streamed through the SDK's Runner with this run's scope as its context, turned
 * into `runStreamEvent`s. Every way a run can end (answer, model error, silence, client gone)
 * ends the stream; nothing waits forever.
 */
import {
  Agent,
  type AgentInputItem,
  generateTraceId,
  RunContext,
  type Runner,
  RunState,
  type RunToolApprovalItem,
  withTrace,
} from "@openai/agents";
import { idleTimer } from "@trainer2/shared/idle-timer";
import type { Logger } from "@trainer2/shared/logger";
import { activeContext, type Telemetry } from "@trainer2/shared/telemetry";
import type { AgentItem, RunRequest, RunStreamEvent, ToolSpec, Usage } from "@trainer2/shared/wire";
import type { Surface } from "../capabilities/surface.ts";
import type { GenAiSpanBridge, RunScope } from "../telemetry/genai-bridge.ts";
import { classify, ModelIdleTimeout } from "./failures.ts";
import { withStoredHistory } from "./history.ts";
import { stripProviderIds } from "./items.ts";
import { buildTools, type RunToolScope, type ToolDeps } from "./tools.ts";
import { usageMeter } from "./usage.ts";

/**
 * The Agent for the current surface and instructions (and the api's cap on answers), built
 * again only when one changes (a sync, a new day): runs share it, and their own data travels
 * in the run context.
 */
export type AgentCache = {
  agentFor(tools: ToolSpec[], instructions: string, maxOutputTokens?: number): Agent<RunToolScope>;
};

const noTools: ToolSpec[] = [];

export function agentCache(deps: ToolDeps & { model: string }): AgentCache {
  type Cached = { tools: ToolSpec[]; instructions: string; maxTokens?: number | undefined };
  let cached: (Cached & { agent: Agent<RunToolScope> }) | undefined;
  return {
    agentFor(tools = noTools, instructions, maxTokens) {
      if (
        cached?.tools === tools &&
        cached.instructions === instructions &&
        cached.maxTokens === maxTokens
      )
        return cached.agent;
      const agent = new Agent<RunToolScope>({
        name: "trainer",
        instructions,
        model: deps.model,
        tools: buildTools(tools, deps),
        // The api's cap on each answer (max_output_tokens / max_tokens): what its budget reserves.
        ...(maxTokens ? { modelSettings: { maxTokens } } : {}),
      });
      cached = { tools, instructions, maxTokens, agent };
      return agent;
    },
  };
}

export type RunDeps = {
  runner: Runner;
  model: string;
  /** The model endpoint (server.address/port of the model spans). */
  modelBaseURL: string;
  /** Turns this run's SDK spans into GenAI spans under the run's span. */
  genAi: GenAiSpanBridge;
  captureContent: boolean;
  agents: AgentCache;
  /** The model may be silent this long (outside tool calls) before the run fails. */
  modelTimeoutMs: number;
  maxTurns?: number;
  logger: Logger;
  telemetry: Telemetry;
  metrics: RunScope["metrics"];
};

export type RunInput = {
  request: RunRequest;
  runToken: string;
  surface: Surface | undefined;
  instructions: string;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
};

/** server.address / server.port of the model endpoint (the offline model on loopback too). */
function serverOf(baseURL: string): RunScope["server"] {
  try {
    const url = new URL(baseURL);
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    return { address: url.hostname, port };
  } catch {
    return undefined;
  }
}

/** The SDK trace of this run, bound to the run's span: the SDK's spans nest under it. */
function bindTrace(deps: RunDeps, request: RunRequest): { traceId: string; unbind: () => void } {
  const traceId = generateTraceId();
  const unbind = deps.genAi.bind(traceId, {
    telemetry: deps.telemetry,
    metrics: deps.metrics,
    parent: activeContext(),
    conversationId: request.sessionId,
    provider: "openai",
    requestModel: deps.model,
    server: serverOf(deps.modelBaseURL),
    captureContent: deps.captureContent,
  });
  return { traceId, unbind };
}

/**
 * A model that sends a burst (many tokens in one read) is processed by the SDK without
 * returning to the event loop, and what `emit` queued is written only when it does: the first
 * delta would wait for the whole burst. So the loop steps out to let the response go: after
 * the first delta, then at most once a millisecond.
 */
function ioBreaks() {
  let last = Number.NEGATIVE_INFINITY;
  return {
    after(): Promise<void> | undefined {
      const now = performance.now();
      if (now - last < 1) return undefined;
      last = now;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** A call the run paused on, as the api stores and shows it. */
function pendingCall(item: RunToolApprovalItem) {
  let args: unknown;
  try {
    args = JSON.parse(item.arguments ?? "{}");
  } catch {
    args = {};
  }
  const raw = item.rawItem as { callId?: string; id?: string };
  return {
    callId: raw.callId ?? raw.id ?? "",
    name: item.name ?? "",
    arguments: typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {},
  };
}

/**
 * A paused run again: its state with this run's context (never the stored one) and the
 * person's decision on each pending call; a rejection's message is what the model reads.
 */
async function resumedState(
  agent: Agent<RunToolScope>,
  resume: NonNullable<RunRequest["resume"]>,
  scope: RunToolScope,
): Promise<RunState<RunToolScope, Agent<RunToolScope>>> {
  const state = await RunState.fromStringWithContext<RunToolScope, Agent<RunToolScope>>(
    agent,
    resume.state,
    new RunContext(scope),
    { contextStrategy: "replace" },
  );
  for (const item of state.getInterruptions()) {
    const callId = pendingCall(item).callId;
    const decided = resume.decisions.find((decision) => decision.callId === callId);
    if (decided?.decision === "approve") state.approve(item);
    else state.reject(item, { message: decided?.message ?? rejectedWithoutDecision });
  }
  return state;
}

const rejectedWithoutDecision = JSON.stringify({
  error: { code: "approval_rejected", message: "This call was not approved, so it was not made." },
});

/** Runs the agent, calling `emit` for each event; always ends with completed or failed. */
export async function executeRun(
  deps: RunDeps,
  input: RunInput,
  emit: (event: RunStreamEvent) => void,
): Promise<void> {
  const { request } = input;
  if (input.signal.aborted) return;
  const agent = deps.agents.agentFor(
    input.surface?.tools ?? noTools,
    input.instructions,
    request.maxOutputTokens,
  );
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort(input.signal.reason);
  input.signal.addEventListener("abort", abortFromCaller, { once: true });
  const seconds = Math.round(deps.modelTimeoutMs / 1000);
  // Tool calls in flight pause it (pause(true) … pause(false)).
  const idle = idleTimer(deps.modelTimeoutMs, () =>
    controller.abort(new ModelIdleTimeout(seconds)),
  );
  const scope: RunToolScope & { toJSON(): object } = {
    runToken: input.runToken,
    runId: request.runId,
    signal: controller.signal,
    emit,
    onBusy: idle.pause,
    // The SDK serializes the run context into a paused RunState, which the api stores: the
    // run token stays out of it (a resumed run gets a fresh one).
    toJSON: () => ({}),
  };
  // Stored history is cleaned again on the way in: sessions stored by an older agent may
  // still carry items that no longer replay (see items.ts).
  const history = stripProviderIds(request.history) as unknown as AgentInputItem[];
  const items: AgentInputItem[] = [{ role: "user", content: request.input }];
  let output = "";
  const flushes = ioBreaks();
  // The run's usage so far, sent after each model call: the api counts a run stopped early too.
  const meter = usageMeter(deps.model);
  // The SDK's own count, once the run exists (it has the failed calls it knows of too).
  let sdkUsage: () => Usage | undefined = () => undefined;
  const sdkTrace = bindTrace(deps, request);
  try {
    idle.touch();
    const start = request.resume ? await resumedState(agent, request.resume, scope) : items;
    // The stored history goes in front of each model call's input (history.ts), not in the run.
    const result = await withStoredHistory(history, () =>
      withTrace(
        "trainer run",
        () =>
          deps.runner.run(agent, start as AgentInputItem[], {
            stream: true,
            context: scope,
            signal: controller.signal,
            maxTurns: deps.maxTurns ?? 8,
          }),
        { traceId: sdkTrace.traceId, groupId: request.sessionId },
      ),
    );
    sdkUsage = () => result.state.usage;
    for await (const event of result) {
      idle.touch();
      if (event.type === "raw_model_stream_event" && event.data.type === "output_text_delta") {
        output += event.data.delta;
        emit({ type: "delta", text: event.data.delta });
        const pause = flushes.after();
        if (pause) await pause;
      } else if (event.type === "raw_model_stream_event" && event.data.type === "response_done") {
        emit({ type: "usage", usage: meter.add(event.data.response.usage) });
      }
    }
    await result.completed;
    if (result.error) throw result.error;
    if (controller.signal.aborted) throw controller.signal.reason;
    const usage = meter.settle(result.state.usage);
    if (result.interruptions.length > 0) {
      deps.logger.info("run paused for approval", { runId: request.runId });
      emit({
        type: "approval.required",
        state: result.state.toString(),
        calls: result.interruptions.map(pendingCall),
        usage,
      });
      return;
    }
    deps.logger.info("run completed", {
      runId: request.runId,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
    const finalOutput = typeof result.finalOutput === "string" ? result.finalOutput : output;
    emit({
      type: "completed",
      output: finalOutput,
      items: stripProviderIds(result.history) as AgentItem[],
      usage,
    });
  } catch (error) {
    if (input.signal.aborted) return; // the caller left: nobody to tell
    const failed = classify(controller.signal.aborted ? controller.signal.reason : error);
    deps.logger.warn("run failed", { runId: request.runId, code: failed.code, cause: error });
    // What the model calls used before it failed, failed calls included where the SDK knows.
    const usage: Usage = meter.settle(sdkUsage());
    emit({ type: "failed", ...failed, usage });
  } finally {
    sdkTrace.unbind();
    idle.stop();
    input.signal.removeEventListener("abort", abortFromCaller);
  }
}
