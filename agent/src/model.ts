/**
 * Where the agent's model calls go. With OPENAI_API_KEY: that endpoint. Without: the offline
 * dev model, started here on loopback and reached over real HTTP like any other endpoint.
 * No global SDK state: the Runner carries its own provider and client.
 */
import { OpenAIProvider, Runner } from "@openai/agents";
import OpenAI from "openai";
import type { ModelConfig } from "./env.ts";
import type { StreamHolds } from "./offline-model/holds.ts";
import {
  type OfflineModelStats,
  offlineModelName,
  startOfflineModel,
} from "./offline-model/server.ts";
import { storedHistoryModels } from "./run/history.ts";
import { type ModelFactsSink, observeModels } from "./telemetry/model-observer.ts";

export type ModelRuntime = {
  mode: "openai" | "offline";
  /** The model name sent with every request. */
  model: string;
  api: "responses" | "chat_completions";
  runner: Runner;
  /** Where model calls go (server.address / server.port of the model spans). */
  baseURL: string;
  /** The offline model's base URL when it runs in this process. */
  offlineBaseURL?: string;
  /** What the offline model was asked and reported, when it runs in this process (tests). */
  offlineStats?: OfflineModelStats;
  /** Held answers of the offline model in this process (tests: offline-model/holds.ts). */
  offlineHolds?: StreamHolds;
  close: () => Promise<void>;
};

export type RunnerOptions = {
  apiKey: string;
  baseURL: string;
  api: "responses" | "chat_completions";
  /** Upper bound on one model HTTP request. */
  timeoutMs: number;
  /** Where the model observer sends what it reads off each stream (the GenAI span bridge). */
  onModelFacts: ModelFactsSink;
  /**
   * The SDK's spans record prompts, answers and tool payloads (the bridge puts them on the
   * OpenTelemetry spans, redacted); off unless the operator opts in.
   */
  captureContent: boolean;
};

/** What every runtime needs besides the model's own settings. */
export type RuntimeOptions = Pick<RunnerOptions, "timeoutMs" | "onModelFacts" | "captureContent">;

export function createRunner(options: RunnerOptions): Runner {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    // Fail fast and visibly: the person can retry, a silent retry loop cannot be stopped.
    maxRetries: 0,
    timeout: options.timeoutMs,
  });
  const provider = new OpenAIProvider({
    openAIClient: client,
    useResponses: options.api === "responses",
  });
  // Tracing stays on: the SDK's spans become OpenTelemetry spans (telemetry/install.ts decides
  // whether anything goes to OpenAI, which it does not unless asked).
  return new Runner({
    // The run's stored history goes in at the model (run/history.ts), under the observer.
    modelProvider: observeModels(storedHistoryModels(provider), options.onModelFacts),
    tracingDisabled: false,
    traceIncludeSensitiveData: options.captureContent,
    workflowName: "trainer run",
  });
}

export function createModelRuntime(config: ModelConfig, options: RuntimeOptions): ModelRuntime {
  if (config.kind === "openai")
    return {
      mode: "openai",
      model: config.model,
      api: config.api,
      runner: createRunner({ ...config, ...options }),
      baseURL: config.baseURL,
      close: async () => {},
    };
  const offline = startOfflineModel({ delayMs: config.delayMs });
  return {
    mode: "offline",
    model: offlineModelName,
    api: config.api,
    offlineBaseURL: offline.baseURL,
    offlineStats: offline.stats,
    offlineHolds: offline.holds,
    // The offline model needs no key; the client insists on one.
    runner: createRunner({
      ...options,
      apiKey: "offline",
      baseURL: offline.baseURL,
      api: config.api,
    }),
    baseURL: offline.baseURL,
    close: offline.close,
  };
}
