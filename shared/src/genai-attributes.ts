/**
 * GenAI semantic-convention attribute names (the OpenTelemetry GenAI conventions as of late
 * 2026: `gen_ai.provider.name`, not the retired `gen_ai.system`) and the helper that puts a
 * model call's usage on its span. The content attributes (messages, tool arguments and
 * results) are opt-in: see agent/src/telemetry/. Re-exported by telemetry.ts.
 */
import type { Attributes, Span } from "@opentelemetry/api";

export const genAiAttributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  responseId: "gen_ai.response.id",
  finishReasons: "gen_ai.response.finish_reasons",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  /** Seconds from issuing the request to the first streamed chunk. */
  timeToFirstChunk: "gen_ai.response.time_to_first_chunk",
  conversationId: "gen_ai.conversation.id",
  agentName: "gen_ai.agent.name",
  toolName: "gen_ai.tool.name",
  toolType: "gen_ai.tool.type",
  toolCallId: "gen_ai.tool.call.id",
  errorType: "error.type",
  serverAddress: "server.address",
  serverPort: "server.port",
  inputMessages: "gen_ai.input.messages",
  outputMessages: "gen_ai.output.messages",
  toolCallArguments: "gen_ai.tool.call.arguments",
  toolCallResult: "gen_ai.tool.call.result",
} as const;

/** What a model call reported; unknown values are left out of the span. */
export type ModelUsage = {
  provider?: string;
  model?: string;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  inputTokens?: number;
  outputTokens?: number;
  timeToFirstChunkSeconds?: number;
};

/** GenAI attributes for a model-call span in one call. */
export function setModelUsage(span: Span, usage: ModelUsage): void {
  const attrs: Attributes = {};
  const set = (key: string, value: Attributes[string] | undefined) => {
    if (value !== undefined) attrs[key] = value;
  };
  set(genAiAttributes.providerName, usage.provider);
  set(genAiAttributes.requestModel, usage.model);
  set(genAiAttributes.responseModel, usage.responseModel);
  set(genAiAttributes.responseId, usage.responseId);
  if (usage.finishReasons?.length) set(genAiAttributes.finishReasons, usage.finishReasons);
  set(genAiAttributes.inputTokens, usage.inputTokens);
  set(genAiAttributes.outputTokens, usage.outputTokens);
  set(genAiAttributes.timeToFirstChunk, usage.timeToFirstChunkSeconds);
  span.setAttributes(attrs);
}
