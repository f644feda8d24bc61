/**
 * Assembles and serves a complete agent (keys, instructions, model, capability sync, app).
 * Used by index.ts with the parsed env and by testing/index.ts with test values.
 */
import { join } from "node:path";
import type { Logger } from "@trainer2/shared/logger";
import { createMetrics, type Metrics } from "@trainer2/shared/metrics";
import { initTelemetry, type Telemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { createApp } from "./app.ts";
import { CapabilitySync } from "./capabilities/sync.ts";
import type { ModelConfig } from "./env.ts";
import { defaultInstructionsDir, loadInstructions } from "./instructions/load.ts";
import { createModelRuntime, type ModelRuntime } from "./model.ts";
import { installGenAiTracing } from "./telemetry/install.ts";

export const defaultGeneratedDir = join(import.meta.dir, "../generated");

export type StartOptions = {
  port: number;
  hostname?: string;
  apiUrl: string;
  agentPrivateKeyPem: string;
  apiPublicKeyPem: string;
  model: ModelConfig;
  generatedDir?: string;
  instructionsDir?: string;
  syncIntervalMs: number;
  modelTimeoutMs: number;
  /** Default 4 MiB: a long history with large tool results fits, 20 floods do not. */
  runMaxBodyBytes?: number;
  /** Default true: see operator.ts. */
  updateFromLoopback?: boolean;
  /** Also upload the SDK's traces to OpenAI (OPENAI_TRACING); default false. */
  tracing?: boolean;
  /** Prompts, answers and tool payloads on the GenAI spans, redacted (default false). */
  captureContent?: boolean;
  logger: Logger;
  /** Spans and OTLP logs (index.ts: `initTelemetry`); default: nothing exported. */
  telemetry?: Telemetry;
  /** The registry /metrics serves; default: a fresh one. */
  metrics?: Metrics;
  /** First retry delay of the start-up sync (doubles up to 30 s). */
  initialBackoffMs?: number;
};

export type RunningAgent = {
  url: string;
  /** The Hono app (its routes, for tests that walk them). */
  app: ReturnType<typeof createApp>;
  port: number;
  sync: CapabilitySync;
  model: ModelRuntime;
  metrics: Metrics;
  telemetry: Telemetry;
  close: () => Promise<void>;
};

export async function startAgent(options: StartOptions): Promise<RunningAgent> {
  const keys = {
    agentPrivateKey: await importPrivateKey(options.agentPrivateKeyPem),
    apiPublicKey: await importPublicKey(options.apiPublicKeyPem),
  };
  const telemetry =
    options.telemetry ?? initTelemetry({ serviceName: "agent", logLevel: "silent" });
  const metrics = options.metrics ?? createMetrics("agent");
  const instructions = await loadInstructions(options.instructionsDir ?? defaultInstructionsDir);
  const genAi = installGenAiTracing({ uploadToOpenAI: options.tracing ?? false });
  const captureContent = options.captureContent ?? false;
  const model = createModelRuntime(options.model, {
    timeoutMs: options.modelTimeoutMs,
    onModelFacts: genAi.modelFacts,
    captureContent,
  });
  const sync = new CapabilitySync({
    apiUrl: options.apiUrl,
    ...keys,
    generatedDir: options.generatedDir ?? defaultGeneratedDir,
    intervalMs: options.syncIntervalMs,
    logger: options.logger,
    metrics,
    initialBackoffMs: options.initialBackoffMs,
  });
  const app = createApp({
    sync,
    instructions,
    model,
    apiUrl: options.apiUrl,
    keys,
    modelTimeoutMs: options.modelTimeoutMs,
    runMaxBodyBytes: options.runMaxBodyBytes ?? 4 * 1024 * 1024,
    updateFromLoopback: options.updateFromLoopback ?? true,
    logger: options.logger,
    telemetry,
    metrics,
    genAi,
    captureContent,
  });
  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
    fetch: app.fetch,
    // /run streams for as long as the model talks; Bun's default 10 s idle cut would end it.
    idleTimeout: 0,
  });
  sync.start();
  return {
    url: `http://${server.hostname}:${server.port}`,
    app,
    port: server.port ?? options.port,
    sync,
    model,
    metrics,
    telemetry,
    close: async () => {
      await sync.stop();
      await server.stop(true);
      await model.close();
    },
  };
}
