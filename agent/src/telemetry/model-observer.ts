/**
 * What the SDK's model spans do not carry without recording the conversation: when the first
 * chunk came, which model answered, why it stopped, and the usage. A model provider wrapper
 * reads them off the stream as the model produces it (a reader of the run's own events would
 * see them after the SDK has already ended the span) and hands them to the span bridge,
 * keyed by the SDK span that is current while the model streams: its generation or response
 * span.
 */
import {
  getCurrentSpan,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ResponseStreamEvent,
} from "@openai/agents";
import { withCalls, wrapModels } from "../model-wrap.ts";

/** Facts about one model call; each arrives as soon as the stream shows it. */
export type ModelFacts = {
  timeToFirstChunkSeconds?: number;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  inputTokens?: number;
  outputTokens?: number;
};

/** Where facts go: the bridge, which owns the OpenTelemetry span of `sdkSpanId`. */
export type ModelFactsSink = (sdkSpanId: string, facts: ModelFacts) => void;

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null;

/** The SDK span of the model call in progress (generation: Chat Completions; response: Responses). */
function currentModelSpanId(): string | undefined {
  const span = getCurrentSpan();
  const type = span?.spanData.type;
  return type === "generation" || type === "response" ? span?.spanId : undefined;
}

/** A Chat Completions chunk (the SDK passes them on as `model` events): model, finish reasons. */
function chunkFacts(chunk: unknown): ModelFacts {
  if (!isRecord(chunk)) return {};
  const facts: ModelFacts = {};
  if (typeof chunk.model === "string" && chunk.model) facts.responseModel = chunk.model;
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  const reasons = choices
    .map((choice) => (isRecord(choice) ? choice.finish_reason : undefined))
    .filter((reason): reason is string => typeof reason === "string" && reason !== "");
  if (reasons.length > 0) facts.finishReasons = reasons;
  return facts;
}

/** The Responses API has a status, not a finish reason: said in Chat Completions' words. */
function responsesFinishReason(provider: Json, output: unknown[]): string | undefined {
  const incomplete = isRecord(provider.incomplete_details) ? provider.incomplete_details : {};
  if (provider.status === "incomplete")
    return incomplete.reason === "max_output_tokens" ? "length" : String(incomplete.reason);
  if (provider.status !== "completed") return undefined;
  const calledTool = output.some((item) => isRecord(item) && item.type === "function_call");
  return calledTool ? "tool_calls" : "stop";
}

function doneFacts(event: ResponseStreamEvent & { type: "response_done" }): ModelFacts {
  const { response } = event;
  const facts: ModelFacts = {
    inputTokens: response.usage.inputTokens,
    outputTokens: response.usage.outputTokens,
  };
  if (response.id && !response.id.startsWith("FAKE")) facts.responseId = response.id;
  const provider = isRecord(response.providerData) ? response.providerData : undefined;
  if (provider) {
    if (typeof provider.model === "string") facts.responseModel = provider.model;
    const reason = responsesFinishReason(provider, response.output);
    if (reason) facts.finishReasons = [reason];
  }
  return facts;
}

function observed(model: Model, sink: ModelFactsSink): Model {
  async function* getStreamedResponse(request: ModelRequest) {
    const issuedAt = performance.now();
    let spanId: string | undefined;
    let first = true;
    for await (const event of model.getStreamedResponse(request)) {
      if (first) {
        first = false;
        // The model's span is current from its first event on (the SDK sets it there).
        spanId = currentModelSpanId();
        const seconds = (performance.now() - issuedAt) / 1000;
        if (spanId) sink(spanId, { timeToFirstChunkSeconds: seconds });
      }
      if (spanId && event.type === "model") sink(spanId, chunkFacts(event.event));
      if (spanId && event.type === "response_done") sink(spanId, doneFacts(event));
      yield event;
    }
  }
  // Everything else (getResponse, retry advice, …) is the model's own.
  return withCalls(model, { getStreamedResponse });
}

/** `provider` with every model it hands out observed. */
export function observeModels(provider: ModelProvider, sink: ModelFactsSink): ModelProvider {
  return wrapModels(provider, (model) => observed(model, sink));
}
