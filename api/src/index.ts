/** The api process: environment → dependencies → Bun.serve. */
import { createSql, describeDatabase, waitForDatabase } from "@trainer2/db";
import { createMetrics } from "@trainer2/shared/metrics";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { createApp, recoverInterruptedRuns } from "./app.ts";
import { createIdentityVerifier, discoveryProblems, type IdentityConfig } from "./auth/identity.ts";
import { loadEnv, oidcIdentity } from "./env.ts";

const env = loadEnv();
// Exports spans and logs only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
const telemetry = initTelemetry({
  serviceName: "api",
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  logLevel: env.LOG_LEVEL,
});
const metrics = createMetrics("api");
const logger = telemetry.logger;
const sql = createSql(env.DATABASE_URL, { max: 10 });

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

await waitForDatabase(sql, {
  onWait: (reason, retryInMs) =>
    logger.warn("waiting for the database", {
      database: describeDatabase(env.DATABASE_URL),
      reason,
      retryInMs,
    }),
});
await recoverInterruptedRuns(sql, logger);

const api = createApp({
  sql,
  keys: { apiPrivateKey, apiPublicKey, agentPublicKey },
  verifyIdentity,
  agentUrl: () => env.AGENT_URL,
  webOrigin: env.WEB_ORIGIN,
  telemetry,
  metrics,
  logger,
});

const server = Bun.serve({
  port: env.PORT,
  fetch: api.fetch,
  websocket: api.websocket,
  // HTTP requests are short; sockets have their own idle handling (see app.ts).
  idleTimeout: 30,
});
logger.info("api listening", { port: server.port });

async function shutdown(signal: string) {
  logger.info("shutting down", { signal });
  // Runs in flight store their partial answers first; then the sockets go.
  await api.close();
  await server.stop(true);
  await sql.end({ timeout: 5 });
  // The last spans and logs (the shutdown itself) reach the collector before exit.
  await telemetry.shutdown();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
