/**
 * The api's app factory: everything it needs comes in as `deps`, so tests run the real app
 * against real databases and servers with short timeouts. `index.ts` wires the environment.
 */
import type { Sql } from "@trainer2/db";
import { messagesChangedSince } from "@trainer2/db/queries/messages";
import { failures } from "@trainer2/shared/failures";
import { answerErrorsAsJson, limitRequestHead } from "@trainer2/shared/http";
import type { Logger } from "@trainer2/shared/logger";
import { createMetrics, httpMetrics, type Metrics, metricsHandler } from "@trainer2/shared/metrics";
import { httpTracing, initTelemetry, type Telemetry } from "@trainer2/shared/telemetry";
import type { KeyLike } from "@trainer2/shared/tokens";
import type { Message } from "@trainer2/shared/wire";
import { type Context, Hono } from "hono";
import { type BunWebSocketData, websocket } from "hono/bun";
import { cors } from "hono/cors";
import { accountRoutes } from "./account/routes.ts";
import { createAuthenticate } from "./auth/authenticate.ts";
import type { IdentityVerifier } from "./auth/identity.ts";
import { createBudgets } from "./budgets/budgets.ts";
import { type BudgetSettings, budgetsOff } from "./budgets/settings.ts";
import { currentCapabilitiesVersion } from "./capabilities/version.ts";
import {
  type ApiProcessOptions,
  apiProcess,
  defaultApiProcessOptions,
} from "./cluster/api-process.ts";
import { type Bus, InProcessBus } from "./cluster/bus.ts";
import { registerBusMetrics } from "./cluster/bus-metrics.ts";
import { createAgentStatus } from "./health/agent-status.ts";
import { databaseStatus, healthRoutes } from "./health/routes.ts";
import { clientIpOf } from "./http/client-ip.ts";
import {
  defaultPersonLimits,
  type PersonLimitSettings,
  PersonLimits,
} from "./http/person-limits.ts";
import { apiSecureHeaders } from "./http/secure-headers.ts";
import { sharedLimitsIn } from "./http/shared-limits.ts";
import { expireApprovals } from "./realtime/approvals.ts";
import {
  defaultRealtimeOptions,
  type RealtimeContext,
  type RealtimeOptions,
} from "./realtime/context.ts";
import { Hub } from "./realtime/hub.ts";
import { PersonGate } from "./realtime/person-gate.ts";
import { realtimeRoutes } from "./realtime/routes.ts";
import { AddressCounter } from "./realtime/socket-limits.ts";
import { sessionRoutes } from "./sessions/routes.ts";
import { stateAssembler } from "./state/assemble.ts";
import { loadStampedState } from "./state/load-state.ts";
import { stateRoutes } from "./state/routes.ts";
import { createStateCache, registerStateCacheMetrics } from "./state/state-cache.ts";
import type { Tool } from "./tools/define-tool.ts";
import { capabilitiesAndTools } from "./tools/index.ts";
import { loadTools } from "./tools/registry.ts";

export type ApiDeps = {
  sql: Sql;
  keys: { apiPrivateKey: KeyLike; apiPublicKey: KeyLike; agentPublicKey: KeyLike };
  verifyIdentity: IdentityVerifier;
  /** Resolved per run, so tests (and a future discovery) can point at another agent. */
  agentUrl: () => string;
  /** CORS origin of the web app. */
  webOrigin: string;
  /** Spans and OTLP logs (index.ts: `initTelemetry`); default: no export, silent logs. */
  telemetry?: Telemetry;
  /** The app's Prometheus registry (index.ts: `createMetrics("api")`); default: a fresh one. */
  metrics?: Metrics;
  /** Default: `telemetry.logger`. */
  logger?: Logger;
  /** Milliseconds since the epoch. */
  now?: () => number;
  realtime?: Partial<RealtimeOptions>;
  /** How long an agent /health probe may take (ms). */
  agentProbeTimeoutMs?: number;
  /** The tools to serve; default: every `*.tool.ts` of the api. Tests pass their own. */
  tools?: Tool[];
  /**
   * How this process reaches its peers (cluster/bus.ts). Default: in-process, for one api
   * process; index.ts picks Postgres LISTEN/NOTIFY on a real database (createBus).
   */
  bus?: Bus;
  /** Heartbeat and staleness of api processes (tests shorten them). */
  cluster?: Partial<ApiProcessOptions>;
  /** Per-user limits and the cap on answers (budgets/settings.ts); default: budgets off. */
  budgets?: BudgetSettings;
  /**
   * What one person may ask per second, by cost (RATE_LIMIT_*), shared by every process on the
   * database (http/person-limits.ts); default: defaultPersonLimits.
   */
  personLimits?: PersonLimitSettings;
  /** Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES); default: none. */
  trustedProxies?: readonly string[];
  /**
   * Whether PORT also answers /metrics (default true, the seed's contract). False when
   * METRICS_PORT serves them: then /metrics here is 404 like any unknown path.
   */
  metricsOnMainPort?: boolean;
};

export type ApiApp = {
  app: Hono;
  fetch: (request: Request, server: Bun.Server<BunWebSocketData>) => Response | Promise<Response>;
  /** Pass to Bun.serve as `websocket`. */
  websocket: Bun.WebSocketHandler<BunWebSocketData>;
  hub: Hub;
  metrics: Metrics;
  telemetry: Telemetry;
  publishState: (userId: string, sessionId?: string) => void;
  /** Joins the other api processes: the bus, this process's row, a first sweep. */
  start: () => Promise<void>;
  /** Stops runs in flight (they are stored as interrupted), then leaves the others. */
  close: () => Promise<void>;
};

export function createApp(deps: ApiDeps): ApiApp {
  const telemetry = deps.telemetry ?? initTelemetry({ serviceName: "api", logLevel: "silent" });
  const metrics = deps.metrics ?? createMetrics("api");
  const logger = deps.logger ?? telemetry.logger;
  const now = deps.now ?? Date.now;
  const options = { ...defaultRealtimeOptions, ...deps.realtime };
  const agentStatus = createAgentStatus({
    agentUrl: deps.agentUrl,
    timeoutMs: deps.agentProbeTimeoutMs ?? 1000,
  });
  const bus = deps.bus ?? new InProcessBus();
  const budgets = createBudgets({
    sql: deps.sql,
    settings: deps.budgets ?? budgetsOff,
    metrics,
    logger,
    processId: bus.processId,
    // Past the longest a run may take, a reservation nobody settled holds nothing.
    reservationTtlMs: options.runTimeoutMs + 60_000,
    retryForMs: options.endWriteRetryMs,
    now,
  });
  const dbStatus = databaseStatus(deps.sql);
  const authenticate = createAuthenticate(
    { sql: deps.sql, verifyIdentity: deps.verifyIdentity, logger },
    { now },
  );
  const tools = deps.tools ? () => Promise.resolve(deps.tools!) : loadTools;
  const snapshots = createStateCache({
    sql: deps.sql,
    read: (userId, sessionId) => loadStampedState(deps.sql, userId, sessionId),
  });
  const states = stateAssembler({
    sql: deps.sql,
    snapshots,
    agentStatus,
    budgetToday: (userId) => budgets.today(userId),
    runOf: (sessionId) => hub.runOf(sessionId),
  });
  registerBusMetrics(metrics.registry, bus);
  registerStateCacheMetrics(metrics.registry, snapshots);
  const hub: Hub = new Hub({
    loadState: states.state,
    logger,
    bus,
    changedSince: (sessionIds, since) => messagesChangedSince(deps.sql, sessionIds, since),
    forgetUser: (userId) => {
      authenticate.forget?.(userId);
      snapshots.forget(userId);
    },
  });
  const publishState = (userId: string, sessionId?: string) => hub.publishState(userId, sessionId);
  const self = apiProcess({
    id: bus.processId,
    sql: deps.sql,
    logger,
    options: { ...defaultApiProcessOptions, ...deps.cluster },
    ownRuns: () => hub.ownRunIds(),
    onInterrupted: (answers) => {
      for (const { sessionId, userId, message } of answers)
        announceInterrupted(hub, sessionId, userId, message);
    },
  });

  const clientIp = (c: Context) => clientIpOf(c, deps.trustedProxies ?? []);
  const app = new Hono();
  // First, so every request (including refused ones) is measured and traced.
  app.use(httpMetrics(metrics));
  app.use(httpTracing(telemetry));
  // Oversized URL and headers answer in the one error shape (see shared/http.ts).
  app.use(limitRequestHead());
  app.use("*", cors({ origin: deps.webOrigin, allowHeaders: ["Authorization", "Content-Type"] }));
  // The api answers JSON only: nothing of it may run as a page, be framed, or be sniffed.
  app.use(apiSecureHeaders());
  answerErrorsAsJson(app, (error, c) =>
    logger.error("request failed", { path: c.req.path, error: error.cause ?? error }),
  );

  app.route("/", healthRoutes({ databaseStatus: dbStatus, agentStatus, processId: bus.processId }));
  if (deps.metricsOnMainPort !== false) app.get("/metrics", metricsHandler(metrics));
  // One bucket per person for what costs, over HTTP and resume frames (http/person-limits.ts).
  const personLimits = deps.personLimits ?? defaultPersonLimits;
  const limits = new PersonLimits(
    personLimits,
    now,
    sharedLimitsIn(deps.sql, personLimits, { logger, now }),
  );
  app.route("/", stateRoutes({ authenticate, stateJson: states.json, limits }));
  app.route("/", sessionRoutes({ sql: deps.sql, authenticate, publishState, limits }));
  app.route(
    "/",
    accountRoutes({
      sql: deps.sql,
      authenticate,
      logger,
      closeUserSockets: (userId) => hub.closeUser(userId, "account_deleted"),
      limits,
    }),
  );
  const realtime: RealtimeContext = {
    sql: deps.sql,
    hub,
    logger,
    metrics,
    telemetry,
    authenticate,
    apiPrivateKey: deps.keys.apiPrivateKey,
    agentUrl: deps.agentUrl,
    capabilitiesVersion: currentCapabilitiesVersion({
      sql: deps.sql,
      tools,
      ttlMs: options.capabilitiesVersionTtlMs,
    }),
    options,
    budgets,
    tools,
    now,
    clientIp,
    limits,
    // One resume at a time per person; past 100 waiting, refused (realtime/person-gate.ts).
    resumes: new PersonGate(1, 100),
    unauthenticated: new AddressCounter(options.maxUnauthenticatedPerIp),
  };
  app.route("/", realtimeRoutes(realtime));
  const approvalExpiry = expiryTimer(realtime);
  app.route(
    "/",
    capabilitiesAndTools({
      sql: deps.sql,
      keys: deps.keys,
      onStateChanged: publishState,
      ...(deps.tools ? { tools: deps.tools } : {}),
      logger,
      telemetry,
      metrics,
    }),
  );

  return {
    app,
    fetch: (request, server) => app.fetch(request, server),
    websocket: {
      ...websocket,
      // Protocol pings from our side keep the connection alive; idle means truly dead.
      idleTimeout: 120,
      sendPings: true,
      maxPayloadLength: Math.max(options.maxFrameBytes * 2, 128 * 1024),
      // Past this, send() reports backpressure; connection.ts closes a reader that far behind
      // (4408) rather than Bun's closeOnBackpressure, which would close without saying why.
      backpressureLimit: options.sendBufferLimitBytes,
    },
    hub,
    metrics,
    telemetry,
    publishState,
    start: async () => {
      await bus.start();
      // Registers, then ends the answers of processes that are gone (start-up recovery).
      await self.start();
      hub.cross.greet();
      approvalExpiry.start();
    },
    close: async () => {
      dbStatus.stop();
      agentStatus.stop();
      approvalExpiry.stop();
      for (const run of hub.activeRuns()) run.stop("shutdown");
      // Let the aborted runs store their partial answers before the pool goes away.
      for (let waited = 0; hub.activeRuns().length > 0 && waited < 3000; waited += 20)
        await Bun.sleep(20);
      await self.stop();
      await bus.close();
    },
  };
}

/** Each process rejects approvals past their time now and then (one at a time). */
function expiryTimer(ctx: RealtimeContext) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = expireApprovals(ctx)
      .catch((error) => ctx.logger.warn("approval expiry failed", { error }))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      if (ctx.options.approvalSweepMs > 0) timer = setInterval(tick, ctx.options.approvalSweepMs);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** An answer a sweep ended: its followers, here and elsewhere, see it end. */
function announceInterrupted(hub: Hub, sessionId: string, userId: string, message: Message) {
  const base = { runId: message.runId ?? "", sessionId, seq: message.seq };
  hub.toSession(userId, sessionId, { type: "message", sessionId, message });
  if (!message.runId) return;
  hub.toSession(userId, sessionId, {
    type: "run.failed",
    ...base,
    code: "interrupted",
    message: failures.interrupted.message,
  });
}
