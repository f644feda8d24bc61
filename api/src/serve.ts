/**
 * One api process: dependencies from the environment, the database waited for, the peers
 * joined (cluster/), then Bun.serve until a signal stops it.
 */
import { isEmbedded, type Sql } from "@trainer2/db";
import { answerErrorsAsJson } from "@trainer2/shared/http";
import { createMetrics, type Metrics, metricsHandler } from "@trainer2/shared/metrics";
import type { Telemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { Hono } from "hono";
import { createApp } from "./app.ts";
import { createIdentityVerifier, discoveryProblems, type IdentityConfig } from "./auth/identity.ts";
import { budgetSettingsOf } from "./budgets/settings.ts";
import { InProcessBus } from "./cluster/bus.ts";
import { busKeyFrom } from "./cluster/bus-seal.ts";
import { PostgresBus } from "./cluster/postgres-bus.ts";
import { workerMetricsPort } from "./cluster/worker-metrics.ts";
import {
  type ApiEnv,
  oidcIdentity,
  personLimitsOf,
  realtimeSettingsOf,
  socketLimitsOf,
} from "./env.ts";
import { surviveDriverFailures } from "./http/driver-failures.ts";

export async function serveApi(
  env: ApiEnv,
  telemetry: Telemetry,
  sql: Sql,
  options: { reusePort: boolean },
) {
  const metrics = createMetrics("api");
  const logger = telemetry.logger;

  const [apiPrivateKey, apiPublicKey, agentPublicKey, devLoginPublicKey] = await Promise.all([
    importPrivateKey(env.API_PRIVATE_KEY),
    importPublicKey(env.API_PUBLIC_KEY),
    importPublicKey(env.AGENT_PUBLIC_KEY),
    env.AUTH_DEV_LOGIN && env.DEV_LOGIN_PUBLIC_KEY
      ? importPublicKey(env.DEV_LOGIN_PUBLIC_KEY)
      : Promise.resolve(undefined),
  ]);

  const oidc = oidcIdentity(env);
  const identityConfig: IdentityConfig = {
    ...(env.GOOGLE_CLIENT_ID
      ? {
          google: {
            clientId: env.GOOGLE_CLIENT_ID,
            ...(env.GOOGLE_DISCOVERY_URL ? { discoveryUrl: env.GOOGLE_DISCOVERY_URL } : {}),
          },
        }
      : {}),
    ...(oidc ? { oidc } : {}),
    ...(devLoginPublicKey ? { devLogin: { publicKey: devLoginPublicKey } } : {}),
  };
  const verifyIdentity = createIdentityVerifier(identityConfig);
  if (devLoginPublicKey) logger.warn("dev login is enabled: never do this in production");
  // Not awaited: the api serves meanwhile, and answers 503 (not 401) until the provider is found.
  void discoveryProblems(identityConfig).then((problems) => {
    for (const problem of problems)
      logger.error("sign-in provider misconfigured or unreachable", { problem });
  });

  // Several processes talk over Postgres; the embedded database has one process (its NOTIFY
  // does not cross connections), which needs no bus.
  const bus = (await isEmbedded(sql))
    ? new InProcessBus()
    : new PostgresBus(sql, logger, { key: busKeyFrom(env.API_PRIVATE_KEY) });

  const api = createApp({
    sql,
    keys: { apiPrivateKey, apiPublicKey, agentPublicKey },
    verifyIdentity,
    agentUrl: () => env.AGENT_URL,
    webOrigin: env.WEB_ORIGIN,
    realtime: { ...realtimeSettingsOf(env), ...socketLimitsOf(env) },
    trustedProxies: env.TRUSTED_PROXIES,
    // With a port of its own, /metrics is not on the port a proxy passes on (README: Limits).
    metricsOnMainPort: env.METRICS_PORT === undefined,
    personLimits: personLimitsOf(env),
    budgets: budgetSettingsOf(env),
    bus,
    telemetry,
    metrics,
    logger,
  });
  // Joins its peers; ends the answers of processes that are gone (start-up recovery).
  await api.start();

  const server = Bun.serve({
    port: env.PORT,
    // Workers of one machine share the port; the kernel spreads connections among them.
    reusePort: options.reusePort,
    fetch: api.fetch,
    websocket: api.websocket,
    // HTTP requests are short; sockets have their own idle handling (see app.ts).
    idleTimeout: 30,
  });
  const metricsServer = serveOwnMetrics(env, metrics);
  logger.info("api listening", {
    port: server.port,
    process: bus.processId,
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
  });

  async function shutdown(signal: string) {
    logger.info("shutting down", { signal });
    // Runs in flight store their partial answers first; then the sockets go.
    await api.close();
    await server.stop(true);
    await metricsServer?.stop(true);
    await sql.end({ timeout: 5 });
    // The last spans and logs (the shutdown itself) reach the collector before exit.
    await telemetry.shutdown();
    process.exit(0);
  }
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  surviveDriverFailures(logger);
}

/**
 * With METRICS_PORT, this process's /metrics on a port of its own, and only there: METRICS_PORT
 * for a lone process, METRICS_PORT + N for worker N (the starting process serves all of them
 * merged on METRICS_PORT: cluster/worker-metrics.ts). Unset, /metrics stays on PORT, as the
 * seed README promises for `bun dev`.
 */
function serveOwnMetrics(env: ApiEnv, metrics: Metrics) {
  if (env.METRICS_PORT === undefined) return undefined;
  const app = new Hono().get("/metrics", metricsHandler(metrics));
  answerErrorsAsJson(app, () => {});
  const port = workerMetricsPort(env.METRICS_PORT, env.API_WORKER_INDEX);
  return Bun.serve({ port, fetch: app.fetch });
}
