/**
 * What `bun run eval` runs with, from the environment: the model the agent would use (the
 * offline model unless OPENAI_API_KEY is set), prices for the cost column, the judge for
 * rubrics, and where to push the results as metrics.
 */
import { blankAsUnset, optionalString, parseEnv, url } from "@trainer2/shared/config";
import { type Price, priceOf, priceTableField, usdPerMTok } from "@trainer2/shared/prices";
import { z } from "zod";
import {
  type ModelConfig,
  modelConfigOf,
  modelEnvFields,
  openAIDefaultBaseUrl,
  requireModelWithKey,
} from "../../src/env.ts";

const evalEnvSchema = z
  .object({
    ...modelEnvFields,
    /** USD per million input / output tokens, for the cost column (the offline model is free). */
    EVAL_INPUT_USD_PER_MTOK: usdPerMTok,
    EVAL_OUTPUT_USD_PER_MTOK: usdPerMTok,
    /** Else the api's price table (shared/prices.ts), by the model's name. */
    MODEL_PRICES: priceTableField,
    /** A model that scores each case's rubric (1–5); rubrics are skipped without it. */
    EVAL_JUDGE_MODEL: optionalString,
    EVAL_JUDGE_API_KEY: optionalString,
    EVAL_JUDGE_BASE_URL: url.optional(),
    EVAL_JUDGE_MIN_SCORE: blankAsUnset(z.coerce.number().int().min(1).max(5).default(4)),
    /** Push the pass rate as metrics (Grafana's "Eval pass rate"). */
    OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  })
  .superRefine((env, ctx) => {
    requireModelWithKey(env, ctx);
    if (env.EVAL_JUDGE_MODEL && !(env.EVAL_JUDGE_API_KEY ?? env.OPENAI_API_KEY))
      ctx.addIssue({
        code: "custom",
        path: ["EVAL_JUDGE_API_KEY"],
        message: "a judge needs a key (EVAL_JUDGE_API_KEY or OPENAI_API_KEY)",
      });
  });

export type Judge = { model: string; apiKey: string; baseURL: string; minScore: number };

export type EvalSettings = {
  model: ModelConfig;
  /** USD per token, when known. */
  prices: { input: number; output: number } | undefined;
  judge: Judge | undefined;
  otlpEndpoint: string | undefined;
};

export function readEvalSettings(
  source: Record<string, string | undefined>,
  api?: "responses" | "chat_completions",
): EvalSettings {
  const env = parseEnv(evalEnvSchema, source);
  const model = modelConfigOf({
    ...env,
    OPENAI_API: api ?? env.OPENAI_API,
    OFFLINE_MODEL_DELAY_MS: 0,
  });
  const given: Price | undefined =
    env.EVAL_INPUT_USD_PER_MTOK !== undefined && env.EVAL_OUTPUT_USD_PER_MTOK !== undefined
      ? {
          inputUsdPerMTok: env.EVAL_INPUT_USD_PER_MTOK,
          outputUsdPerMTok: env.EVAL_OUTPUT_USD_PER_MTOK,
        }
      : priceOf(env.MODEL_PRICES, model.kind === "openai" ? model.model : undefined);
  const judgeKey = env.EVAL_JUDGE_API_KEY ?? env.OPENAI_API_KEY;
  return {
    model,
    prices:
      model.kind === "offline"
        ? { input: 0, output: 0 }
        : given && { input: given.inputUsdPerMTok / 1e6, output: given.outputUsdPerMTok / 1e6 },
    judge:
      env.EVAL_JUDGE_MODEL && judgeKey
        ? {
            model: env.EVAL_JUDGE_MODEL,
            apiKey: judgeKey,
            baseURL: env.EVAL_JUDGE_BASE_URL ?? env.OPENAI_BASE_URL ?? openAIDefaultBaseUrl,
            minScore: env.EVAL_JUDGE_MIN_SCORE,
          }
        : undefined,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
}
