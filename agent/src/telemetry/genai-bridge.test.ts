/**
 * The bridge turns the SDK's own spans into OpenTelemetry spans, here made the way the SDK
 * makes them (its span helpers inside a trace), exported over OTLP to a receiver: handoffs
 * and guardrails too, which the trainer's single agent never produces in a chat turn.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  generateTraceId,
  withAgentSpan,
  withFunctionSpan,
  withGenerationSpan,
  withGuardrailSpan,
  withHandoffSpan,
  withTrace,
} from "@openai/agents";
import { createMetrics } from "@trainer2/shared/metrics";
import {
  genAiAttributes,
  initTelemetry,
  ROOT_CONTEXT,
  spanNames,
} from "@trainer2/shared/telemetry";
import {
  attribute,
  type OtlpAttribute,
  type OtlpReceiver,
  otlpKind,
  startOtlpReceiver,
} from "@trainer2/shared/testing/otlp-receiver";
import { installGenAiTracing } from "./install.ts";

let receiver: OtlpReceiver;
beforeAll(() => {
  receiver = startOtlpReceiver();
});
afterAll(() => receiver.stop());

function scopeFor(serviceName: string, captureContent = false) {
  const telemetry = initTelemetry({
    serviceName,
    otlpEndpoint: receiver.url,
    logLevel: "silent",
  });
  const metrics = createMetrics("agent", { defaultMetrics: false });
  const scope = {
    telemetry,
    metrics,
    parent: ROOT_CONTEXT,
    conversationId: "session-1",
    provider: "openai",
    requestModel: "gpt-test",
    server: { address: "model.example", port: 443 },
    captureContent,
  };
  return { telemetry, metrics, scope };
}

describe("SDK spans as GenAI spans", () => {
  test("agent, handoff, guardrail, a failed model call and a tool, nested as the SDK nests them", async () => {
    const bridge = installGenAiTracing({ uploadToOpenAI: false });
    const { telemetry, metrics, scope } = scopeFor("bridge-unit");
    const traceId = generateTraceId();
    const unbind = bridge.bind(traceId, scope);
    await withTrace(
      "trainer run",
      () =>
        withAgentSpan(
          async () => {
            await withHandoffSpan(
              async (span) => {
                span.spanData.to_agent = "nutritionist";
              },
              { data: { from_agent: "trainer" } },
            );
            await withGuardrailSpan(
              async (span) => {
                span.spanData.triggered = true;
              },
              { data: { name: "no_diagnosis", triggered: false } },
            );
            await withGenerationSpan(
              async (span) => {
                // How the SDK's models report a failed stream without the conversation in it.
                span.setError({
                  message: "Error streaming response",
                  data: { error: "APIConnectionTimeoutError" },
                });
              },
              { data: { model: "gpt-test" } },
            );
            await withFunctionSpan(
              async (span) => {
                bridge.toolSpan(span)?.setCallId("call_42");
                bridge.toolSpan(span)?.fail("invalid_arguments");
              },
              { data: { name: "log_workout", input: "", output: "" } },
            );
          },
          { data: { name: "trainer" } },
        ),
      { traceId },
    );
    unbind();
    await telemetry.flush();

    const spans = receiver.spans("bridge-unit");
    const named = (name: string) => spans.filter((s) => s.name === name);
    const [invoke] = named(spanNames.invokeAgent("trainer"));
    expect(invoke?.kind).toBe(otlpKind.internal);
    expect(invoke?.parentSpanId ?? "").toBe(""); // the scope's parent: a root here
    expect(attribute(invoke!, genAiAttributes.conversationId)).toBe("session-1");

    const [handoff] = named(spanNames.handoff("nutritionist"));
    expect(handoff?.parentSpanId).toBe(invoke?.spanId);
    expect(attribute(handoff!, "handoff.from_agent")).toBe("trainer");

    // A guardrail is a result event on the enclosing span (the conventions' in-process form).
    type Event = { name: string; attributes?: OtlpAttribute[] };
    const events = (invoke as { events?: Event[] } | undefined)?.events;
    const guardrail = events?.find((e) => e.name === "gen_ai.guardrail.result");
    expect(guardrail && attribute(guardrail, "gen_ai.guardrail.component.name")).toBe(
      "no_diagnosis",
    );
    expect(guardrail && attribute(guardrail, "gen_ai.guardrail.result.value")).toBe("true");

    const [chat] = named(spanNames.modelCall("gpt-test"));
    expect(chat?.parentSpanId).toBe(invoke?.spanId);
    expect(chat?.kind).toBe(otlpKind.client);
    expect(chat?.status?.code).toBe(2);
    expect(attribute(chat!, genAiAttributes.errorType)).toBe("APIConnectionTimeoutError");
    expect(attribute(chat!, genAiAttributes.serverAddress)).toBe("model.example");

    const [tool] = named(spanNames.toolCall("log_workout"));
    expect(tool?.parentSpanId).toBe(invoke?.spanId);
    expect(attribute(tool!, genAiAttributes.toolCallId)).toBe("call_42");
    expect(attribute(tool!, genAiAttributes.errorType)).toBe("invalid_arguments");

    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{[^}]*error_type="APIConnectionTimeoutError"[^}]*\} 1/,
    );
    expect(text).toMatch(
      /tool_call_duration_seconds_count\{[^}]*tool="log_workout",outcome="error"\} 1/,
    );
    await telemetry.shutdown();
  });

  test("spans of a trace nobody bound are left alone; a run that ends early closes its spans", async () => {
    const bridge = installGenAiTracing({ uploadToOpenAI: false });
    const { telemetry, scope } = scopeFor("bridge-unbound");
    await withTrace("stranger", () => withAgentSpan(async () => {}, { data: { name: "x" } }));
    const traceId = generateTraceId();
    const unbind = bridge.bind(traceId, scope);
    await withTrace(
      "cut short",
      () =>
        withAgentSpan(
          async () => {
            // The run's owner gives up while the agent span is still open.
            unbind();
          },
          { data: { name: "trainer" } },
        ),
      { traceId },
    );
    await telemetry.flush();
    const spans = receiver.spans("bridge-unbound");
    expect(spans.map((s) => s.name)).toEqual([spanNames.invokeAgent("trainer")]);
    expect(spans[0]?.status?.code).toBe(2);
    await telemetry.shutdown();
  });
});
