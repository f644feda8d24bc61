/**
 * One run: a fresh Agent with the synced tools, streamed through the SDK's Runner, turned
 * into `runStreamEvent`s. Every way a run can end (answer, model error, silence, client gone)
 * ends the stream; nothing waits forever.
 */
import {
  Agent,
  type AgentInputItem,
  generateTraceId,
  type Runner,
  withTrace,
} from "@openai/agents";
import type { Logger } from "@trainer2/shared/logger";
import { activeContext, type Telemetry } from "@trainer2/shared/telemetry";
import type { KeyLike } from "@trainer2/shared/tokens";
import type { AgentItem, RunRequest, RunStreamEvent, Usage } from "@trainer2/shared/wire";
import type { Surface } from "../capabilities/surface.ts";
import type { GenAiSpanBridge, RunScope } from "../telemetry/genai-bridge.ts";
import { classify, ModelIdleTimeout } from "./failures.ts";
import { stripProviderIds } from "./items.ts";
import { buildTools } from "./tools.ts";
import { usageMeter } from "./usage.ts";

export type RunDeps = {
  runner: Runner;
  model: string;
  /** The model endpoint (server.address/port of the model spans). */
  modelBaseURL: string;
  /** Turns this run's SDK spans into GenAI spans under the run's span. */
  genAi: GenAiSpanBridge;
  captureContent: boolean;
  apiUrl: string;
  agentPrivateKey: KeyLike;
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

/** Fires `onIdle` after `ms` without `touch()`, except while paused (tool calls running). */
function watchdog(ms: number, onIdle: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = 0;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = busy > 0 ? undefined : setTimeout(onIdle, ms);
  };
  return {
    touch: arm,
    busy(on: boolean) {
      busy += on ? 1 : -1;
      arm();
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}

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

/** Runs the agent, calling `emit` for each event; always ends with completed or failed. */
export async function executeRun(
  deps: RunDeps,
  input: RunInput,
  emit: (event: RunStreamEvent) => void,
): Promise<void> {
  const { request } = input;
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort(input.signal.reason);
  if (input.signal.aborted) return;
  input.signal.addEventListener("abort", abortFromCaller, { once: true });
  const seconds = Math.round(deps.modelTimeoutMs / 1000);
  const idle = watchdog(deps.modelTimeoutMs, () => controller.abort(new ModelIdleTimeout(seconds)));
  const tools = buildTools(input.surface?.tools ?? [], {
    apiUrl: deps.apiUrl,
    agentPrivateKey: deps.agentPrivateKey,
    runToken: input.runToken,
    runId: request.runId,
    signal: controller.signal,
    emit,
    onBusy: idle.busy,
    logger: deps.logger,
    telemetry: deps.telemetry,
    genAi: deps.genAi,
  });
  const agent = new Agent({
    name: "trainer",
    instructions: input.instructions,
    model: deps.model,
    tools,
    // The api's cap on each answer (max_output_tokens / max_tokens): what its budget reserves.
    ...(request.maxOutputTokens ? { modelSettings: { maxTokens: request.maxOutputTokens } } : {}),
  });
  // Stored history is cleaned again on the way in: sessions stored by an older agent may
  // still carry items that no longer replay (see items.ts).
  const history = stripProviderIds(request.history) as unknown as AgentInputItem[];
  const items: AgentInputItem[] = [...history, { role: "user", content: request.input }];
  let output = "";
  // The run's usage so far, sent after each model call: the api counts a run stopped early too.
  const meter = usageMeter(deps.model);
  let result: Awaited<ReturnType<RunDeps["runner"]["run"]>> | undefined;
  const sdkTrace = bindTrace(deps, request);
  try {
    idle.touch();
    result = await withTrace(
      "trainer run",
      () =>
        deps.runner.run(agent, items, {
          stream: true,
          signal: controller.signal,
          maxTurns: deps.maxTurns ?? 8,
        }),
      { traceId: sdkTrace.traceId, groupId: request.sessionId },
    );
    for await (const event of result) {
      idle.touch();
      if (event.type === "raw_model_stream_event" && event.data.type === "output_text_delta") {
        output += event.data.delta;
        emit({ type: "delta", text: event.data.delta });
      } else if (event.type === "raw_model_stream_event" && event.data.type === "response_done") {
        emit({ type: "usage", usage: meter.add(event.data.response.usage) });
      }
    }
    await result.completed;
    if (result.error) throw result.error;
    if (controller.signal.aborted) throw controller.signal.reason;
    const usage = meter.settle(result.state.usage);
    deps.logger.info("run completed", {
      runId: request.runId,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
    const finalOutput = typeof result.finalOutput === "string" ? result.finalOutput : output;
    emit({
      type: "completed",
      output: finalOutput,
      items: stripProviderIds(result.history.slice(history.length)) as AgentItem[],
      usage,
    });
  } catch (error) {
    if (input.signal.aborted) return; // the caller left: nobody to tell
    const failed = classify(controller.signal.aborted ? controller.signal.reason : error);
    deps.logger.warn("run failed", { runId: request.runId, code: failed.code, cause: error });
    // What the model calls used before it failed, failed calls included where the SDK knows.
    const usage: Usage = meter.settle(result?.state.usage);
    emit({ type: "failed", ...failed, usage });
  } finally {
    sdkTrace.unbind();
    idle.stop();
    input.signal.removeEventListener("abort", abortFromCaller);
  }
}
