/**
 * A real agent for other workspaces' tests (web, benchmarks, api integration): the full app
 * on 127.0.0.1, port 0, with the offline model unless `model` says otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import type { Telemetry } from "@trainer2/shared/telemetry";
import type { ModelConfig } from "../env.ts";
import { type RunningAgent, startAgent } from "../start.ts";

export type TestAgentOptions = {
  apiUrl: string;
  /** PEM of the api's public key (verifies run tokens and the capabilities signature). */
  apiPublicKey: string;
  /** PEM of the agent's private key (signs its JWTs to the api). */
  agentPrivateKey: string;
  /** Where it listens (default 0: a free port). */
  port?: number;
  /** Pause between the offline model's words (default 0). */
  offlineDelayMs?: number;
  /** Where synced files go (default: a fresh temp dir, removed on close). */
  generatedDir?: string;
  /** Which OpenAI API the SDK speaks to the offline model (default chat_completions). */
  api?: "responses" | "chat_completions";
  /** Another model endpoint instead of the offline model (e.g. a fake upstream). */
  model?: ModelConfig;
  modelTimeoutMs?: number;
  runMaxBodyBytes?: number;
  updateFromLoopback?: boolean;
  syncIntervalMs?: number;
  /** Default: `telemetry.logger`, or silent. */
  logger?: Logger;
  /** `initTelemetry({ serviceName: "agent", otlpEndpoint })` to see the agent's spans and logs. */
  telemetry?: Telemetry;
  /** The registry /metrics serves (default: a fresh one). */
  metrics?: Metrics;
  /** Prompts and answers on the GenAI spans (default false). */
  captureContent?: boolean;
  /** Another `instructions/` folder (an eval of a changed prompt); default the agent's own. */
  instructionsDir?: string;
};

export type TestAgent = RunningAgent;

export async function startTestAgent(options: TestAgentOptions): Promise<TestAgent> {
  const ownDir = options.generatedDir
    ? undefined
    : await mkdtemp(join(tmpdir(), "trainer2-agent-generated-"));
  const agent = await startAgent({
    port: options.port ?? 0,
    apiUrl: options.apiUrl,
    agentPrivateKeyPem: options.agentPrivateKey,
    apiPublicKeyPem: options.apiPublicKey,
    model: options.model ?? {
      kind: "offline",
      api: options.api ?? "chat_completions",
      delayMs: options.offlineDelayMs ?? 0,
    },
    generatedDir: options.generatedDir ?? ownDir,
    syncIntervalMs: options.syncIntervalMs ?? 60_000,
    modelTimeoutMs: options.modelTimeoutMs ?? 30_000,
    ...(options.runMaxBodyBytes ? { runMaxBodyBytes: options.runMaxBodyBytes } : {}),
    ...(options.updateFromLoopback === undefined
      ? {}
      : { updateFromLoopback: options.updateFromLoopback }),
    logger:
      options.logger ??
      options.telemetry?.logger ??
      createLogger({ service: "agent", level: "silent" }),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.captureContent ? { captureContent: true } : {}),
    ...(options.instructionsDir ? { instructionsDir: options.instructionsDir } : {}),
    initialBackoffMs: 100,
  });
  return {
    ...agent,
    close: async () => {
      await agent.close();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the agent has synced with the api (its /health answers 200). */
export async function waitUntilReady(agent: { url: string }, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(`${agent.url}/health`).catch(() => undefined);
    if (response?.status === 200) return;
    last = response ? await response.text() : "unreachable";
    await Bun.sleep(50);
  }
  throw new Error(`the agent did not become ready: ${last}`);
}
