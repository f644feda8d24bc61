/**
 * The agent's HTTP surface: `POST /run` (streamed), `POST /update` (sync now), `GET /health`
 * and `GET /metrics`. Everything it needs arrives in `deps`; nothing here reads the env.
 */
import { AppError, toAppError } from "@trainer2/shared/errors";
import type { KeyLike } from "@trainer2/shared/tokens";
import { Hono } from "hono";
import type { CapabilitySync } from "./capabilities/sync.ts";
import { composeInstructions, type Instructions } from "./instructions/load.ts";
import type { Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import type { ModelRuntime } from "./model.ts";
import { runHandler } from "./run/route.ts";

export type AppDeps = {
  sync: CapabilitySync;
  instructions: Instructions;
  model: Pick<ModelRuntime, "mode" | "model" | "api" | "runner">;
  apiUrl: string;
  keys: { agentPrivateKey: KeyLike; apiPublicKey: KeyLike };
  /** The model may stay silent this long (outside tool calls) before a run fails. */
  modelTimeoutMs: number;
  logger: Logger;
};

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const metrics = createMetrics();

  app.onError((error, c) => {
    const appError = toAppError(error);
    // Expected failures (sync down, bad token) are logged where they happen.
    if (appError.code === "internal") deps.logger.error("request failed", { cause: error });
    return c.json(appError.toJSON(), appError.status as 400);
  });
  app.notFound((c) => c.json({ code: "not_found", message: "no such route" }, 404));

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

  app.post("/update", async (c) => {
    try {
      const outcome = await deps.sync.syncNow();
      metrics.syncs.inc({ outcome: "ok" });
      return c.json(outcome);
    } catch (error) {
      metrics.syncs.inc({ outcome: "error" });
      throw new AppError("unavailable", deps.sync.status().error ?? "capability sync failed", {
        cause: error,
      });
    }
  });

  app.post("/run", (c) => {
    metrics.runs.inc();
    return runHandler(c, {
      runner: deps.model.runner,
      model: deps.model.model,
      apiUrl: deps.apiUrl,
      agentPrivateKey: deps.keys.agentPrivateKey,
      apiPublicKey: deps.keys.apiPublicKey,
      modelTimeoutMs: deps.modelTimeoutMs,
      logger: deps.logger,
      ready: () => deps.sync.ready,
      current: () => ({
        surface: deps.sync.surface,
        instructions: composeInstructions(deps.instructions, deps.sync.surface, new Date()),
      }),
    });
  });

  app.get("/metrics", async (c) => {
    return c.text(await metrics.registry.metrics(), 200, {
      "content-type": metrics.registry.contentType,
    });
  });

  return app;
}
