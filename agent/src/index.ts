/** The agent service: parse the env, start everything, stop cleanly on a signal. */
import { createMetrics } from "@trainer2/shared/metrics";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { modelConfigOf, readAgentEnv } from "./env.ts";
import { startAgent } from "./start.ts";

const env = readAgentEnv();
// Exports spans and logs only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
const telemetry = initTelemetry({
  serviceName: "agent",
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  logLevel: env.LOG_LEVEL,
});
const metrics = createMetrics("agent");
const logger = telemetry.logger;

let agent: Awaited<ReturnType<typeof startAgent>>;
try {
  agent = await startAgent({
    port: env.PORT,
    hostname: env.HOST,
    apiUrl: env.API_URL,
    agentPrivateKeyPem: env.AGENT_PRIVATE_KEY,
    apiPublicKeyPem: env.API_PUBLIC_KEY,
    model: modelConfigOf(env),
    syncIntervalMs: env.CAPABILITIES_SYNC_INTERVAL_S * 1000,
    modelTimeoutMs: env.MODEL_TIMEOUT_S * 1000,
    runMaxBodyBytes: env.RUN_MAX_BODY_BYTES,
    updateFromLoopback: env.UPDATE_FROM_LOOPBACK,
    // Off by default: the SDK would upload traces (with the API key) to OpenAI.
    tracing: env.OPENAI_TRACING,
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    logger,
    telemetry,
    metrics,
  });
} catch (error) {
  // Typically a key that is not a valid PEM of the right kind; never print the key itself.
  console.error(`[agent] cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

logger.info("agent listening", {
  port: agent.port,
  mode: agent.model.mode,
  model: agent.model.model,
  api: agent.model.api,
  ...(agent.model.offlineBaseURL ? { offlineModel: agent.model.offlineBaseURL } : {}),
});

const stop = async () => {
  await agent.close();
  // The last spans and logs reach the collector before exit.
  await telemetry.shutdown();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
