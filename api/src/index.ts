/**
 * The api's entry: parse the environment, wait for the database, then serve here, or, with
 * API_WORKERS above 1, start that many api processes on the same port and keep them running.
 */
import { availableParallelism } from "node:os";
import { createSql, describeDatabase, isEmbedded, waitForDatabase } from "@trainer2/db";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { runWorkers } from "./cluster/workers.ts";
import { loadEnv } from "./env.ts";
import { serveApi } from "./serve.ts";

const env = loadEnv();
// Exports spans and logs only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
const telemetry = initTelemetry({
  serviceName: "api",
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  logLevel: env.LOG_LEVEL,
});
const logger = telemetry.logger;
const sql = createSql(env.DATABASE_URL, { max: 10 });

await waitForDatabase(sql, {
  onWait: (reason, retryInMs) =>
    logger.warn("waiting for the database", {
      database: describeDatabase(env.DATABASE_URL),
      reason,
      retryInMs,
    }),
});

const asked = env.API_WORKERS === "auto" ? availableParallelism() : env.API_WORKERS;
const worker = env.API_WORKER_INDEX !== undefined;
let workers = worker ? 1 : asked;
if (workers > 1 && (await isEmbedded(sql))) {
  logger.warn(
    "the embedded database serves one api process: its LISTEN/NOTIFY does not cross connections, " +
      "so processes could not hear each other. Running one; set DATABASE_URL for more.",
    { asked: workers },
  );
  workers = 1;
}

if (workers > 1) {
  await sql.end({ timeout: 5 });
  await runWorkers({ count: workers, port: env.PORT, metricsPort: env.METRICS_PORT, logger });
} else {
  await serveApi(env, telemetry, sql, { reusePort: worker });
}
