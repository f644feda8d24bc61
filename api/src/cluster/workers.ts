/**
 * API_WORKERS > 1: this process starts that many api processes on the same port
 * (`Bun.serve({ reusePort: true })`: the kernel spreads new connections among them) and
 * keeps them running: one that crashes after it was serving starts again with backoff. Each
 * worker is a full api process (its own row in api_processes, its own bus link); this one
 * serves only the workers' merged /metrics (with METRICS_PORT) and passes a stop signal on.
 */
import { join } from "node:path";
import { serverRuntimeFlags } from "@trainer2/shared/http";
import type { Logger } from "@trainer2/shared/logger";
import { type Keeper, keepRunning } from "@trainer2/shared/processes";
import { workerEnv } from "../env.ts";
import { serveWorkerMetrics } from "./worker-metrics.ts";

export async function runWorkers(options: {
  count: number;
  port: number;
  /** METRICS_PORT: every worker's /metrics, merged, served here (worker-metrics.ts). */
  metricsPort: number | undefined;
  logger: Logger;
}) {
  const { count, port, logger } = options;
  const entry = join(import.meta.dir, "../index.ts");
  const keepers: Keeper[] = [];
  for (let index = 1; index <= count; index++)
    keepers.push(
      keepRunning({
        spec: {
          name: `api-${index}`,
          command: [process.execPath, ...serverRuntimeFlags, entry],
          cwd: process.cwd(),
          env: workerEnv(index),
          // Its lines are JSON logs already: passed on as they are.
          onLine: (line) => process.stdout.write(`${line}\n`),
          stopGraceMs: 10_000,
        },
        healthUrl: `http://127.0.0.1:${port}/health`,
        restart: "always",
        say: (line) => logger.warn(line),
      }),
    );
  logger.info("api workers started", { count, port });
  const metricsServer =
    options.metricsPort === undefined
      ? undefined
      : serveWorkerMetrics({ base: options.metricsPort, count, logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping api workers", { signal });
    await Promise.all(keepers.map((keeper) => keeper.stop()));
    await metricsServer?.stop(true);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // Runs until a signal stops it.
  await new Promise(() => {});
}
