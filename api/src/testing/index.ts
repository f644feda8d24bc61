/**
 * `@trainer2/api/testing`: the real api on 127.0.0.1, a fresh database, fresh keys and a
 * local identity provider, for any workspace's tests. Keep this signature stable: the agent
 * and web tests build on it.
 */
import type { Sql } from "@trainer2/db";
import { createTestDatabase, type TestDatabase } from "@trainer2/db/testing";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { createLogger, type Logger } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import type { Telemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey, importPublicKey } from "@trainer2/shared/tokens";
import { type ApiApp, createApp } from "../app.ts";
import { createIdentityVerifier } from "../auth/identity.ts";
import type { BudgetSettings } from "../budgets/settings.ts";
import type { ApiProcessOptions } from "../cluster/api-process.ts";
import { busKeyFrom } from "../cluster/bus-seal.ts";
import { PostgresBus } from "../cluster/postgres-bus.ts";
import type { PersonLimitSettings } from "../http/person-limits.ts";
import type { RealtimeOptions } from "../realtime/context.ts";
import type { Tool } from "../tools/define-tool.ts";
import { startTestIdentity, type TestIdentity } from "./identity.ts";

export type { MintClaims, TestIdentity } from "./identity.ts";

const silentLogger = createLogger({ service: "api", level: "silent" });

export type TestApiKeys = {
  apiPrivateKey: string;
  apiPublicKey: string;
  agentPrivateKey: string;
  agentPublicKey: string;
  devLoginPrivateKey: string;
  devLoginPublicKey: string;
};

export type TestApi = {
  url: string;
  wsUrl: string;
  sql: Sql;
  db: TestDatabase;
  /** PEM text. */
  keys: TestApiKeys;
  identity: TestIdentity;
  setAgentUrl(url: string): void;
  /** The running app (hub, publishState) for tests that need to look inside. */
  app: ApiApp;
  close(): Promise<void>;
};

export type TestApiOptions = {
  /** Where the agent is; `setAgentUrl` overrides it. Default: a closed port. */
  agentUrl?: () => string;
  /** Accept dev-login tokens signed with `keys.devLoginPrivateKey` (default true). */
  devLogin?: boolean;
  /** Shorter socket/run timeouts for tests. */
  realtime?: Partial<RealtimeOptions>;
  /** Default: `telemetry.logger`, or silent. */
  logger?: Logger;
  /** `initTelemetry({ serviceName: "api", otlpEndpoint })` to see the api's spans and logs. */
  telemetry?: Telemetry;
  /** The app's registry (default: a fresh one, served on /metrics either way). */
  metrics?: Metrics;
  /** The tools to serve (default: the api's own `*.tool.ts` files). */
  tools?: Tool[];
  /**
   * "postgres": talk to other api processes on the same database over LISTEN/NOTIFY (needs a
   * real Postgres); default: in-process, one api.
   */
  bus?: "in-process" | "postgres";
  /** Heartbeat and staleness of api processes. */
  cluster?: Partial<ApiProcessOptions>;
  /** A database someone else owns and closes (a stack's); default: a fresh one of its own. */
  database?: TestDatabase;
  /** The key set to serve with (a stack shares it with its processes); default: fresh keys. */
  keys?: TestApiKeys;
  /** Budgets (limits, answer cap, zone, prices); default: off. */
  budgets?: BudgetSettings;
  /** What the app queries through (a test's `faultySql`); default: the database's own. */
  wrapSql?: (sql: Sql) => Sql;
  /** What one person may ask per second, by cost; default: the api's defaults. */
  personLimits?: PersonLimitSettings;
  /** Peers whose X-Forwarded-For is believed; default: none. */
  trustedProxies?: string[];
};

/** Nothing listens on the discard port: an unset agent is simply unreachable. */
export const noAgent = "http://127.0.0.1:9";

/** The web origin the test api allows (CORS), as with `bun dev`. */
export const testWebOrigin = "http://localhost:3000";

/** Fresh Ed25519 pairs for the api, the agent and the dev login (PEM text). */
export async function generateTestApiKeys(): Promise<TestApiKeys> {
  const [api, agent, devLogin] = await Promise.all([
    generatePemKeyPair(),
    generatePemKeyPair(),
    generatePemKeyPair(),
  ]);
  return {
    apiPrivateKey: api.privateKey,
    apiPublicKey: api.publicKey,
    agentPrivateKey: agent.privateKey,
    agentPublicKey: agent.publicKey,
    devLoginPrivateKey: devLogin.privateKey,
    devLoginPublicKey: devLogin.publicKey,
  };
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const [db, keys, identity] = await Promise.all([
    options.database ?? createTestDatabase(),
    options.keys ?? generateTestApiKeys(),
    startTestIdentity(),
  ]);
  const [apiPrivateKey, apiPublicKey, agentPublicKey, devLoginPublicKey] = await Promise.all([
    importPrivateKey(keys.apiPrivateKey),
    importPublicKey(keys.apiPublicKey),
    importPublicKey(keys.agentPublicKey),
    importPublicKey(keys.devLoginPublicKey),
  ]);
  let agentUrlOverride: string | undefined;
  const app = createApp({
    sql: options.wrapSql ? options.wrapSql(db.sql) : db.sql,
    keys: { apiPrivateKey, apiPublicKey, agentPublicKey },
    verifyIdentity: createIdentityVerifier({
      oidc: { issuer: identity.issuer, jwksUrl: identity.jwksUrl, audience: identity.audience },
      ...((options.devLogin ?? true) ? { devLogin: { publicKey: devLoginPublicKey } } : {}),
      // Refetch at once on an unknown kid, so a rotation is visible without waiting.
      jwksCooldownMs: 0,
    }),
    agentUrl: () => agentUrlOverride ?? options.agentUrl?.() ?? noAgent,
    webOrigin: testWebOrigin,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    agentProbeTimeoutMs: 500,
    ...(options.realtime ? { realtime: options.realtime } : {}),
    ...(options.bus === "postgres"
      ? {
          bus: new PostgresBus(db.sql, options.logger ?? silentLogger, {
            key: busKeyFrom(keys.apiPrivateKey),
          }),
        }
      : {}),
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.personLimits ? { personLimits: options.personLimits } : {}),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
  });
  await app.start();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: app.fetch,
    websocket: app.websocket,
    idleTimeout: 0,
  });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${server.port}/realtime`,
    sql: db.sql,
    db,
    keys,
    identity,
    setAgentUrl(next) {
      agentUrlOverride = next;
    },
    app,
    async close() {
      await server.stop(true);
      await app.close();
      await identity.close();
      if (!options.database) await db.close();
    },
  };
}
