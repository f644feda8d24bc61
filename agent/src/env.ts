/**
 * The agent's environment, parsed once at start. Only this file reads `process.env`.
 */
import {
  blankAsUnset,
  boolFlag,
  loadEnvOrExit,
  logLevel,
  optionalString,
  parseEnv,
  pem,
  port,
  url,
  wholeNumber,
} from "@trainer2/shared/config";
import { z } from "zod";

export const openAIDefaultBaseUrl = "https://api.openai.com/v1";

/** The variables that choose the model (the evals read them too, with the same rule). */
export const modelEnvFields = {
  OPENAI_API_KEY: optionalString,
  OPENAI_MODEL: optionalString,
  OPENAI_BASE_URL: url.optional(),
  OPENAI_API: blankAsUnset(
    z
      .enum(["responses", "chat_completions"], {
        message: "expected responses or chat_completions",
      })
      .optional(),
  ),
};

/** A key without a model is refused: the SDK would otherwise pick a model of its own. */
export function requireModelWithKey(
  env: { OPENAI_API_KEY?: string | undefined; OPENAI_MODEL?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (env.OPENAI_API_KEY && !env.OPENAI_MODEL)
    ctx.addIssue({
      code: "custom",
      path: ["OPENAI_MODEL"],
      message: "is required when OPENAI_API_KEY is set (for example gpt-4.1-mini)",
    });
}

export const agentEnvSchema = z
  .object({
    PORT: port(9000),
    /**
     * The address the agent listens on. Loopback by default: in `bun dev` only the api on the
     * same machine calls it. A container sets 0.0.0.0 so the api's container can reach it.
     */
    HOST: blankAsUnset(z.string().default("127.0.0.1")),
    /** Largest /run body accepted (bytes). */
    RUN_MAX_BODY_BYTES: wholeNumber(1024, 64 * 1024 * 1024, 4 * 1024 * 1024),
    /** Accept POST /update without the api's token from loopback peers. */
    UPDATE_FROM_LOOPBACK: boolFlag(true),
    API_URL: url.default("http://localhost:8000"),
    AGENT_PRIVATE_KEY: pem("PRIVATE"),
    API_PUBLIC_KEY: pem("PUBLIC"),
    ...modelEnvFields,
    /** Upload the SDK's traces to OpenAI (off by default: it sends the API key along). */
    OPENAI_TRACING: boolFlag(false),
    /**
     * Prompts, answers and tool payloads on the GenAI spans (the conventions' opt-in switch),
     * redacted as logs are. Off: spans carry names, models, tokens and timings only.
     */
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: boolFlag(false),
    CAPABILITIES_SYNC_INTERVAL_S: wholeNumber(1, 86_400, 60),
    OFFLINE_MODEL_DELAY_MS: wholeNumber(0, 10_000, 30),
    /** A model call that sends nothing for this long is abandoned as `model_timeout`. */
    MODEL_TIMEOUT_S: wholeNumber(1, 600, 60),
    LOG_LEVEL: logLevel,
    OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  })
  .superRefine(requireModelWithKey);

export type AgentEnv = z.infer<typeof agentEnvSchema>;

/** Where model calls go: a real endpoint, or the offline model the agent starts itself. */
export type ModelConfig =
  | {
      kind: "openai";
      apiKey: string;
      model: string;
      baseURL: string;
      api: "responses" | "chat_completions";
    }
  | { kind: "offline"; api: "responses" | "chat_completions"; delayMs: number };

/** The settings that choose the model (the evals read the same ones). */
export type ModelEnv = Pick<
  AgentEnv,
  "OPENAI_API_KEY" | "OPENAI_MODEL" | "OPENAI_BASE_URL" | "OPENAI_API" | "OFFLINE_MODEL_DELAY_MS"
>;

export function modelConfigOf(env: ModelEnv): ModelConfig {
  const baseURL = env.OPENAI_BASE_URL ?? openAIDefaultBaseUrl;
  if (!env.OPENAI_API_KEY)
    return {
      kind: "offline",
      api: env.OPENAI_API ?? "chat_completions",
      delayMs: env.OFFLINE_MODEL_DELAY_MS,
    };
  const isOpenAI = new URL(baseURL).hostname === "api.openai.com";
  return {
    kind: "openai",
    apiKey: env.OPENAI_API_KEY,
    model: env.OPENAI_MODEL!,
    baseURL,
    api: env.OPENAI_API ?? (isOpenAI ? "responses" : "chat_completions"),
  };
}

export const parseAgentEnv = (source: Record<string, string | undefined>) =>
  parseEnv(agentEnvSchema, source);

export const readAgentEnv = (): AgentEnv => loadEnvOrExit("agent", agentEnvSchema, process.env);
