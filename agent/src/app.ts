/**
 * The agent's HTTP surface: `POST /run` (streamed), `POST /update` (sync now), `GET /health`
 * and `GET /metrics`. Everything it needs arrives in `deps`; nothing here reads the env.
 */
import { AppError } from "@trainer2/shared/errors";
import { answerErrorsAsJson, errorJson, limitRequestHead } from "@trainer2/shared/http";
import type { Logger } from "@trainer2/shared/logger";
import { httpMetrics, type Metrics, metricsHandler } from "@trainer2/shared/metrics";
import { httpTracing, type Telemetry } from "@trainer2/shared/telemetry";
import type { KeyLike } from "@trainer2/shared/tokens";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { CapabilitySync } from "./capabilities/sync.ts";
import { composeInstructions, type Instructions } from "./instructions/load.ts";
import type { ModelRuntime } from "./model.ts";
import { requireOperator } from "./operator.ts";
import { agentCache } from "./run/execute.ts";
import { runHandler } from "./run/route.ts";
import { cachedAgentJwt } from "./run/tools.ts";
import { usedRunTokens } from "./run/used-run-tokens.ts";
import type { GenAiSpanBridge } from "./telemetry/genai-bridge.ts";

export type AppDeps = {
  sync: CapabilitySync;
  instructions: Instructions;
  model: Pick<ModelRuntime, "mode" | "model" | "api" | "runner" | "baseURL">;
  apiUrl: string;
  keys: { agentPrivateKey: KeyLike; apiPublicKey: KeyLike };
  /** The model may stay silent this long (outside tool calls) before a run fails. */
  modelTimeoutMs: number;
  /** A /run body larger than this is refused (413) before it is read. */
  runMaxBodyBytes: number;
  /** POST /update without the api's token is taken from loopback peers only when true. */
  updateFromLoopback: boolean;
  logger: Logger;
  telemetry: Telemetry;
  metrics: Metrics;
  /** Turns the SDK's spans of each run into GenAI spans (telemetry/install.ts). */
  genAi: GenAiSpanBridge;
  /** Prompts and answers on those spans (opt-in). */
  captureContent: boolean;
};

/** The composed instructions, composed again only for a new surface or a new day. */
function currentInstructions(deps: AppDeps) {
  let cached: { surface: unknown; day: string; text: string } | undefined;
  return () => {
    const surface = deps.sync.surface;
    const today = new Date();
    const day = today.toISOString().slice(0, 10);
    if (!cached || cached.surface !== surface || cached.day !== day)
      cached = { surface, day, text: composeInstructions(deps.instructions, surface, today) };
    return { surface, instructions: cached.text };
  };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const current = currentInstructions(deps);
  const agents = agentCache({
    model: deps.model.model,
    apiUrl: deps.apiUrl,
    agentJwt: cachedAgentJwt(deps.keys.agentPrivateKey),
    logger: deps.logger,
    telemetry: deps.telemetry,
    genAi: deps.genAi,
  });
  // First: every request is measured; /run continues the api's trace from its traceparent.
  app.use(httpMetrics(deps.metrics));
  app.use(httpTracing(deps.telemetry));
  // Oversized URL and headers answer in the one error shape (see shared/http.ts).
  app.use(limitRequestHead());

  // Expected failures (sync down, bad token) are logged where they happen.
  answerErrorsAsJson(app, (error) => {
    if (error.code === "internal") deps.logger.error("request failed", { cause: error.cause });
  });

  app.get("/health", (c) => {
    const capabilities = deps.sync.status();
    const ready = deps.sync.ready;
    const body = {
      status: !ready ? "starting" : capabilities.error ? "degraded" : "ok",
      capabilities,
      model: deps.model.model,
      mode: deps.model.mode,
      api: deps.model.api,
      instructionsHash: deps.instructions.hash,
    };
    return c.json(body, ready ? 200 : 503);
  });

  app.post(
    "/update",
    requireOperator(deps.keys.apiPublicKey, deps.updateFromLoopback),
    async (c) => {
      // The sync counts itself (capability_syncs_total), whoever asked for it.
      try {
        return c.json(await deps.sync.syncNow());
      } catch (error) {
        throw new AppError("unavailable", deps.sync.status().error ?? "capability sync failed", {
          cause: error,
        });
      }
    },
  );

  app.post(
    "/run",
    bodyLimit({
      maxSize: deps.runMaxBodyBytes,
      onError: (c) =>
        errorJson(
          c,
          new AppError(
            "payload_too_large",
            `A /run body may be ${deps.runMaxBodyBytes} bytes at most.`,
          ),
        ),
    }),
  );
  const usedTokens = usedRunTokens();
  app.post("/run", (c) =>
    runHandler(c, {
      usedTokens,
      runner: deps.model.runner,
      model: deps.model.model,
      modelBaseURL: deps.model.baseURL,
      genAi: deps.genAi,
      captureContent: deps.captureContent,
      agents,
      apiPublicKey: deps.keys.apiPublicKey,
      modelTimeoutMs: deps.modelTimeoutMs,
      logger: deps.logger,
      telemetry: deps.telemetry,
      metrics: deps.metrics,
      ready: () => deps.sync.ready,
      syncNow: () => deps.sync.syncNow(),
      current,
    }),
  );

  app.get("/metrics", metricsHandler(deps.metrics));

  return app;
}
