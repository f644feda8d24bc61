/**
 * The Agents SDK's own spans as OpenTelemetry GenAI spans, in the trace of the run that made
 * them. A `TracingProcessor` sees every SDK span start and end; for the runs bound to it
 * (`bind`, by the SDK trace id) it opens the matching OpenTelemetry span under the right
 * parent and closes it with what the span learned:
 *   agent                → invoke_agent {agent}   (internal; token totals of its model calls)
 *   generation, response → chat {model}           (client; usage, finish reasons, first chunk)
 *   function             → execute_tool {tool}    (internal; gen_ai.tool.call.id from tools.ts)
 *   handoff              → handoff {to agent}     (internal)
 *   guardrail            → a `gen_ai.guardrail.result` event on the enclosing span, as the
 *                          conventions say for the SDK's in-process guardrails
 * The SDK's task and turn spans carry nothing the conventions name: their children attach to
 * the nearest span above them. Metrics are recorded as the spans end.
 */
import type { Span as SdkSpan, SpanData, Trace, TracingProcessor } from "@openai/agents";
import { redactString } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import {
  type Context,
  contextWithSpan,
  genAiAttributes,
  type Span,
  SpanKind,
  SpanStatusCode,
  setModelUsage,
  spanNames,
  type Telemetry,
} from "@trainer2/shared/telemetry";
import { contentAttribute, inputMessages, outputMessages, toolPayload } from "./genai-content.ts";
import type { ModelFacts } from "./model-observer.ts";

/** Everything the bridge needs about one run, given when the run starts. */
export type RunScope = {
  telemetry: Telemetry;
  metrics: Pick<Metrics, "recordModelCall" | "recordToolDuration" | "recordTokens">;
  /** The OpenTelemetry context the run's spans nest under (the agent.run span). */
  parent: Context;
  /** The chat session (`gen_ai.conversation.id`). */
  conversationId: string;
  provider: string;
  requestModel: string;
  server?: { address: string; port: number } | undefined;
  /** Prompt, answer and tool payloads on the spans (opt-in, redacted). */
  captureContent: boolean;
};

/** What tools.ts may do to the span of the tool call it is executing. */
export type ToolSpanHandle = {
  context: Context;
  setCallId(callId: string): void;
  /** The tool answered an error (the model reads it; the span and metric say so). */
  fail(errorType: string): void;
};

type Entry = {
  traceId: string;
  type: SpanData["type"];
  /** Absent for SDK spans that make no span of their own (task, turn, guardrail). */
  span?: Span;
  context: Context;
  /** The nearest ancestor entry that has a span (guardrail events, token totals). */
  owner?: Entry;
  startedAt: number;
  facts: ModelFacts;
  tokens: { input: number; output: number };
  errorType?: string;
};

type AnySdkSpan = SdkSpan<SpanData>;

/** `error.type`: an identifier from the SDK's error data (`APIConnectionError: …`), else _OTHER. */
function errorTypeOf(span: AnySdkSpan): string {
  const detail = span.error?.data?.error;
  const name = typeof detail === "string" ? detail.match(/^[A-Za-z_][\w.]*/)?.[0] : undefined;
  return name && name !== "Error" ? name : "_OTHER";
}

export class GenAiSpanBridge implements TracingProcessor {
  readonly #scopes = new Map<string, RunScope>();
  readonly #entries = new Map<string, Entry>();

  /** Route the SDK trace `traceId` to `scope`; the returned function ends what is left. */
  bind(traceId: string, scope: RunScope): () => void {
    this.#scopes.set(traceId, scope);
    return () => this.#release(traceId, "the run ended before this span");
  }

  /** Facts the model observer read off the stream of the model call `sdkSpanId`. */
  readonly modelFacts = (sdkSpanId: string, facts: ModelFacts): void => {
    const entry = this.#entries.get(sdkSpanId);
    if (entry) Object.assign(entry.facts, facts);
  };

  /** The span of the tool call `sdkSpan` (the SDK's current span inside a tool's execute). */
  toolSpan(sdkSpan: AnySdkSpan | null | undefined): ToolSpanHandle | undefined {
    const entry = sdkSpan ? this.#entries.get(sdkSpan.spanId) : undefined;
    const span = entry?.type === "function" ? entry.span : undefined;
    if (!entry || !span) return undefined;
    return {
      context: entry.context,
      setCallId: (callId) => span.setAttribute(genAiAttributes.toolCallId, callId),
      fail: (errorType) => {
        entry.errorType = errorType;
      },
    };
  }

  async onTraceStart(_trace: Trace): Promise<void> {}

  async onTraceEnd(trace: Trace): Promise<void> {
    this.#release(trace.traceId, "the SDK trace ended before this span");
  }

  async onSpanStart(sdkSpan: AnySdkSpan): Promise<void> {
    const scope = this.#scopes.get(sdkSpan.traceId);
    if (!scope) return;
    const parent = sdkSpan.parentId ? this.#entries.get(sdkSpan.parentId) : undefined;
    const parentContext = parent?.context ?? scope.parent;
    const owner = parent?.span ? parent : parent?.owner;
    const span = this.#open(sdkSpan.spanData, scope, parentContext);
    this.#entries.set(sdkSpan.spanId, {
      traceId: sdkSpan.traceId,
      type: sdkSpan.spanData.type,
      ...(span ? { span } : {}),
      context: span ? contextWithSpan(parentContext, span) : parentContext,
      ...(owner ? { owner } : {}),
      startedAt: performance.now(),
      facts: {},
      tokens: { input: 0, output: 0 },
    });
  }

  async onSpanEnd(sdkSpan: AnySdkSpan): Promise<void> {
    const entry = this.#entries.get(sdkSpan.spanId);
    const scope = this.#scopes.get(sdkSpan.traceId);
    if (!entry || !scope) return;
    this.#entries.delete(sdkSpan.spanId);
    const data = sdkSpan.spanData;
    if (data.type === "guardrail") {
      entry.owner?.span?.addEvent("gen_ai.guardrail.result", {
        "gen_ai.guardrail.component.name": data.name,
        "gen_ai.guardrail.result.type": "tripwire_triggered",
        "gen_ai.guardrail.result.value": String(data.triggered),
      });
      return;
    }
    const span = entry.span;
    if (!span) return;
    if (sdkSpan.error) {
      entry.errorType ??= errorTypeOf(sdkSpan);
      span.setStatus({ code: SpanStatusCode.ERROR, message: redactString(sdkSpan.error.message) });
    }
    if (entry.errorType) span.setAttribute(genAiAttributes.errorType, entry.errorType);
    const seconds = (performance.now() - entry.startedAt) / 1000;
    if (data.type === "generation" || data.type === "response")
      this.#endModelCall(entry, data, scope, seconds);
    else if (data.type === "agent") {
      span.setAttribute(genAiAttributes.inputTokens, entry.tokens.input);
      span.setAttribute(genAiAttributes.outputTokens, entry.tokens.output);
    } else if (data.type === "function") {
      scope.metrics.recordToolDuration(data.name, entry.errorType ? "error" : "ok", seconds);
      if (scope.captureContent) {
        setContent(span, genAiAttributes.toolCallArguments, toolPayload(data.input));
        setContent(span, genAiAttributes.toolCallResult, toolPayload(data.output));
      }
    } else if (data.type === "handoff" && data.to_agent)
      span.updateName(spanNames.handoff(data.to_agent));
    span.end();
  }

  async shutdown(): Promise<void> {
    for (const traceId of this.#scopes.keys()) this.#release(traceId, "shutting down");
  }

  async forceFlush(): Promise<void> {}

  /** The OpenTelemetry span for one SDK span, or none for the kinds that make none. */
  #open(data: SpanData, scope: RunScope, parent: Context): Span | undefined {
    const start = (name: string, kind: SpanKind, attributes: Record<string, string | number>) =>
      scope.telemetry.startSpan(name, attributes, { kind, parent });
    const server: Record<string, string | number> = scope.server
      ? {
          [genAiAttributes.serverAddress]: scope.server.address,
          [genAiAttributes.serverPort]: scope.server.port,
        }
      : {};
    switch (data.type) {
      case "agent":
        return start(spanNames.invokeAgent(data.name), SpanKind.INTERNAL, {
          [genAiAttributes.operationName]: "invoke_agent",
          [genAiAttributes.providerName]: scope.provider,
          [genAiAttributes.agentName]: data.name,
          [genAiAttributes.requestModel]: scope.requestModel,
          [genAiAttributes.conversationId]: scope.conversationId,
        });
      case "generation":
      case "response": {
        const model = (data.type === "generation" && data.model) || scope.requestModel;
        return start(spanNames.modelCall(model), SpanKind.CLIENT, {
          [genAiAttributes.operationName]: "chat",
          [genAiAttributes.providerName]: scope.provider,
          [genAiAttributes.requestModel]: model,
          [genAiAttributes.conversationId]: scope.conversationId,
          ...server,
        });
      }
      case "function":
        return start(spanNames.toolCall(data.name), SpanKind.INTERNAL, {
          [genAiAttributes.operationName]: "execute_tool",
          [genAiAttributes.toolName]: data.name,
          [genAiAttributes.toolType]: "function",
          [genAiAttributes.conversationId]: scope.conversationId,
        });
      case "handoff":
        return start(spanNames.handoff(data.to_agent ?? "agent"), SpanKind.INTERNAL, {
          ...(data.from_agent ? { "handoff.from_agent": data.from_agent } : {}),
          ...(data.to_agent ? { "handoff.to_agent": data.to_agent } : {}),
        });
      default:
        return undefined;
    }
  }

  #endModelCall(
    entry: Entry,
    data: SpanData & { type: "generation" | "response" },
    scope: RunScope,
    seconds: number,
  ) {
    const span = entry.span!;
    const facts = entry.facts;
    const requestModel = (data.type === "generation" && data.model) || scope.requestModel;
    setModelUsage(span, {
      ...(facts.responseModel ? { responseModel: facts.responseModel } : {}),
      ...(facts.responseId ? { responseId: facts.responseId } : {}),
      ...(facts.finishReasons ? { finishReasons: facts.finishReasons } : {}),
      ...(facts.inputTokens === undefined ? {} : { inputTokens: facts.inputTokens }),
      ...(facts.outputTokens === undefined ? {} : { outputTokens: facts.outputTokens }),
      ...(facts.timeToFirstChunkSeconds === undefined
        ? {}
        : { timeToFirstChunkSeconds: facts.timeToFirstChunkSeconds }),
    });
    if (scope.captureContent) {
      const input = data.type === "generation" ? data.input : data._input;
      const output = data.type === "generation" ? data.output : data._response;
      setContent(span, genAiAttributes.inputMessages, inputMessages(input));
      setContent(span, genAiAttributes.outputMessages, outputMessages(output));
    }
    scope.metrics.recordModelCall({
      operation: "chat",
      provider: scope.provider,
      requestModel,
      responseModel: facts.responseModel,
      durationSeconds: seconds,
      inputTokens: facts.inputTokens,
      outputTokens: facts.outputTokens,
      timeToFirstChunkSeconds: facts.timeToFirstChunkSeconds,
      errorType: entry.errorType,
    });
    scope.metrics.recordTokens(facts.inputTokens ?? 0, facts.outputTokens ?? 0);
    // The agent's invoke_agent span reports the tokens of all its model calls.
    const owner = entry.owner;
    if (owner && owner.type === "agent") {
      owner.tokens.input += facts.inputTokens ?? 0;
      owner.tokens.output += facts.outputTokens ?? 0;
    }
  }

  /** Ends (as failed) whatever the trace left open, and forgets the trace. */
  #release(traceId: string, reason: string) {
    for (const [id, entry] of this.#entries) {
      if (entry.traceId !== traceId) continue;
      this.#entries.delete(id);
      entry.span?.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      entry.span?.end();
    }
    this.#scopes.delete(traceId);
  }
}

function setContent(span: Span, key: string, value: unknown) {
  const text = contentAttribute(value);
  if (text !== undefined) span.setAttribute(key, text);
}
