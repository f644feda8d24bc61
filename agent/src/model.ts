/**
 * Where the agent's model calls go. With OPENAI_API_KEY: that endpoint. Without: the offline
 * dev model, started here on loopback and reached over real HTTP like any other endpoint.
 * No global SDK state: the Runner carries its own provider and client.
 */
import { OpenAIProvider, Runner } from "@openai/agents";
import OpenAI from "openai";
import type { ModelConfig } from "./env.ts";
import { offlineModelName, startOfflineModel } from "./offline-model/server.ts";

export type ModelRuntime = {
  mode: "openai" | "offline";
  /** The model name sent with every request. */
  model: string;
  api: "responses" | "chat_completions";
  runner: Runner;
  /** The offline model's base URL when it runs in this process. */
  offlineBaseURL?: string;
  close: () => Promise<void>;
};

export type RunnerOptions = {
  apiKey: string;
  baseURL: string;
  api: "responses" | "chat_completions";
  /** Upper bound on one model HTTP request. */
  timeoutMs: number;
  tracing?: boolean;
};

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
  return new Runner({ modelProvider: provider, tracingDisabled: !options.tracing });
}

export function createModelRuntime(
  config: ModelConfig,
  options: { timeoutMs: number; tracing?: boolean },
): ModelRuntime {
  if (config.kind === "openai")
    return {
      mode: "openai",
      model: config.model,
      api: config.api,
      runner: createRunner({ ...config, ...options }),
      close: async () => {},
    };
  const offline = startOfflineModel({ delayMs: config.delayMs });
  return {
    mode: "offline",
    model: offlineModelName,
    api: config.api,
    offlineBaseURL: offline.baseURL,
    // The offline model needs no key; the client insists on one.
    runner: createRunner({
      apiKey: "offline",
      baseURL: offline.baseURL,
      api: config.api,
      timeoutMs: options.timeoutMs,
      tracing: false,
    }),
    close: offline.close,
  };
}
