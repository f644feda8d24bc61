/**
 * The GenAI client metrics of the OpenTelemetry conventions, in Prometheus form: the names
 * and labels are what Prometheus makes of the OTel ones (dots become underscores, seconds get
 * their unit suffix), so a dashboard written for either reads the same series:
 *   gen_ai.client.token.usage                   → gen_ai_client_token_usage
 *   gen_ai.client.operation.duration            → gen_ai_client_operation_duration_seconds
 *   gen_ai.client.operation.time_to_first_chunk → gen_ai_client_operation_time_to_first_chunk_seconds
 * plus the agent's own view of each tool call's latency (tool_call_duration_seconds).
 * Buckets are the conventions' advice. Registered by `createMetrics` (metrics.ts).
 */
import { Histogram, type Registry } from "prom-client";

export const genAiMetricNames = {
  genAiTokenUsage: "gen_ai_client_token_usage",
  genAiOperationDuration: "gen_ai_client_operation_duration_seconds",
  genAiTimeToFirstChunk: "gen_ai_client_operation_time_to_first_chunk_seconds",
  toolCallDuration: "tool_call_duration_seconds",
} as const;

const callLabels = [
  "gen_ai_operation_name",
  "gen_ai_provider_name",
  "gen_ai_request_model",
  "gen_ai_response_model",
] as const;

/** One finished model call, as the agent saw it. */
export type ModelCallRecord = {
  operation: string;
  provider: string;
  requestModel: string;
  responseModel?: string | undefined;
  durationSeconds: number;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  timeToFirstChunkSeconds?: number | undefined;
  /** Low-cardinality error class when the call failed (`error.type`). */
  errorType?: string | undefined;
};

export type GenAiMetrics = ReturnType<typeof createGenAiMetrics>;

export function createGenAiMetrics(registry: Registry) {
  const registers = [registry];
  const genAiTokenUsage = new Histogram({
    name: genAiMetricNames.genAiTokenUsage,
    help: "GenAI: tokens per model call, by token type (input, output) and model.",
    labelNames: [...callLabels, "gen_ai_token_type"] as const,
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
    registers,
  });
  const genAiOperationDuration = new Histogram({
    name: genAiMetricNames.genAiOperationDuration,
    help: "GenAI: seconds per model call, by model; error_type when it failed.",
    labelNames: [...callLabels, "error_type"] as const,
    buckets: [
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ],
    registers,
  });
  const genAiTimeToFirstChunk = new Histogram({
    name: genAiMetricNames.genAiTimeToFirstChunk,
    help: "GenAI: seconds from issuing a streamed model call to its first chunk, by model.",
    labelNames: callLabels,
    buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96],
    registers,
  });
  const toolCallDuration = new Histogram({
    name: genAiMetricNames.toolCallDuration,
    help: "Seconds per tool call as the agent waited for it, by tool and outcome (ok, error).",
    labelNames: ["tool", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });

  return {
    genAiTokenUsage,
    genAiOperationDuration,
    genAiTimeToFirstChunk,
    toolCallDuration,
    recordModelCall(call: ModelCallRecord) {
      const labels = {
        gen_ai_operation_name: call.operation,
        gen_ai_provider_name: call.provider,
        gen_ai_request_model: call.requestModel,
        ...(call.responseModel ? { gen_ai_response_model: call.responseModel } : {}),
      };
      genAiOperationDuration.observe(
        call.errorType ? { ...labels, error_type: call.errorType } : labels,
        call.durationSeconds,
      );
      if (call.inputTokens !== undefined)
        genAiTokenUsage.observe({ ...labels, gen_ai_token_type: "input" }, call.inputTokens);
      if (call.outputTokens !== undefined)
        genAiTokenUsage.observe({ ...labels, gen_ai_token_type: "output" }, call.outputTokens);
      if (call.timeToFirstChunkSeconds !== undefined)
        genAiTimeToFirstChunk.observe(labels, call.timeToFirstChunkSeconds);
    },
    recordToolDuration(tool: string, outcome: "ok" | "error", seconds: number) {
      toolCallDuration.observe({ tool, outcome }, seconds);
    },
  };
}
