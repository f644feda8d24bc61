/**
 * One span per model call, built from the SDK's raw stream events (the SDK's own tracing is
 * off: it would upload to OpenAI). A call opens at `response_started` (or the run's start)
 * and ends at `response_done` with the GenAI usage attributes; tokens are counted there too.
 */
import type { RunStreamEvent } from "@openai/agents";
import type { Metrics } from "@trainer2/shared/metrics";
import {
  genAiAttributes,
  recordError,
  type Span,
  SpanKind,
  setModelUsage,
  spanNames,
  type Telemetry,
} from "@trainer2/shared/telemetry";

export type ModelSpans = {
  /** Opens the span of the next model call unless one is open. */
  open(): void;
  /** Feed every stream event of the run. */
  observe(event: RunStreamEvent): void;
  /** Ends an open call (the run ended without its `response_done`); `error` marks it failed. */
  close(error?: unknown): void;
};

export function modelSpans(
  telemetry: Telemetry,
  metrics: Pick<Metrics, "recordTokens">,
  model: string,
): ModelSpans {
  let span: Span | undefined;
  let startedAt = 0;
  let firstToken: number | undefined;

  const open = () => {
    if (span) return;
    // No parent given: the active span, i.e. the run's.
    span = telemetry.startSpan(
      spanNames.modelCall(model),
      {
        [genAiAttributes.operationName]: "chat",
        [genAiAttributes.system]: "openai",
        [genAiAttributes.requestModel]: model,
      },
      { kind: SpanKind.CLIENT },
    );
    startedAt = performance.now();
    firstToken = undefined;
  };

  const close = (error?: unknown) => {
    if (!span) return;
    if (error !== undefined) recordError(span, error);
    span.end();
    span = undefined;
  };

  return {
    open,
    close,
    observe(event) {
      if (event.type !== "raw_model_stream_event") return;
      const data = event.data;
      if (data.type === "response_started") open();
      else if (data.type === "output_text_delta") {
        open();
        firstToken ??= (performance.now() - startedAt) / 1000;
      } else if (data.type === "response_done") {
        open();
        const usage = data.response.usage;
        if (span)
          setModelUsage(span, {
            model,
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            ...(firstToken === undefined ? {} : { timeToFirstTokenSeconds: firstToken }),
          });
        metrics.recordTokens(usage.inputTokens, usage.outputTokens);
        close();
      }
    },
  };
}
