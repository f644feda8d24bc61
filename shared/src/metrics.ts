/**
 * Prometheus metrics for api and agent. `createMetrics` builds its own Registry (no global
 * state), so a test can build several apps in one process. The names below are the ones the
 * Grafana dashboard queries (tests/compose.test.ts checks that).
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type BudgetMetrics, budgetMetricNames, createBudgetMetrics } from "./budget-metrics.ts";
import { createGenAiMetrics, type GenAiMetrics, genAiMetricNames } from "./genai-metrics.ts";

export type { ModelCallRecord } from "./genai-metrics.ts";

export const metricNames = {
  httpRequestDuration: "http_request_duration_seconds",
  wsConnectionsOpen: "ws_connections_open",
  chatTurns: "chat_turns_total",
  chatTimeToFirstToken: "chat_time_to_first_token_seconds",
  chatTurnDuration: "chat_turn_duration_seconds",
  modelTokens: "model_tokens_total",
  toolCalls: "tool_calls_total",
  capabilitySyncs: "capability_syncs_total",
  capabilitiesVersionInfo: "capabilities_version_info",
  ...genAiMetricNames,
  ...budgetMetricNames,
} as const;

export type TurnOutcome = "completed" | "failed" | "cancelled";
export type ToolOutcome = "ok" | "error";
export type SyncOutcome = "updated" | "unchanged" | "failed";
export type TokenDirection = "input" | "output";

export interface Metrics extends GenAiMetrics, BudgetMetrics {
  readonly service: string;
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<"method" | "route" | "status">;
  readonly wsConnectionsOpen: Gauge;
  readonly chatTurns: Counter<"outcome">;
  readonly chatTimeToFirstToken: Histogram;
  readonly chatTurnDuration: Histogram;
  readonly modelTokens: Counter<"direction">;
  readonly toolCalls: Counter<"tool" | "outcome">;
  readonly capabilitySyncs: Counter<"outcome">;
  readonly capabilitiesVersionInfo: Gauge<"version">;
  /** Convenience wrappers that keep label values to the agreed sets. */
  recordTurn(outcome: TurnOutcome, durationSeconds: number, timeToFirstTokenSeconds?: number): void;
  recordTokens(input: number, output: number): void;
  recordToolCall(tool: string, outcome: ToolOutcome): void;
  recordCapabilitySync(outcome: SyncOutcome, version?: string): void;
}

export interface MetricsOptions {
  /** Default process metrics (CPU, memory, event loop); on unless a test turns them off. */
  defaultMetrics?: boolean;
}

export function createMetrics(service: string, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequestDuration = new Histogram({
    name: metricNames.httpRequestDuration,
    help: "HTTP request duration by method, route template and status code.",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const wsConnectionsOpen = new Gauge({
    name: metricNames.wsConnectionsOpen,
    help: "Open WebSocket connections.",
    registers,
  });
  const chatTurns = new Counter({
    name: metricNames.chatTurns,
    help: "Chat turns by outcome (completed, failed, cancelled).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const chatTimeToFirstToken = new Histogram({
    name: metricNames.chatTimeToFirstToken,
    help: "Seconds from the user's message to the first streamed text delta.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30],
    registers,
  });
  const chatTurnDuration = new Histogram({
    name: metricNames.chatTurnDuration,
    help: "Seconds from the user's message to the end of the turn.",
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const modelTokens = new Counter({
    name: metricNames.modelTokens,
    help: "Model tokens by direction (input, output).",
    labelNames: ["direction"] as const,
    registers,
  });
  const toolCalls = new Counter({
    name: metricNames.toolCalls,
    help: "Tool calls by tool and outcome (ok, error).",
    labelNames: ["tool", "outcome"] as const,
    registers,
  });
  const capabilitySyncs = new Counter({
    name: metricNames.capabilitySyncs,
    help: "Capability syncs by outcome (updated, unchanged, failed).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const capabilitiesVersionInfo = new Gauge({
    name: metricNames.capabilitiesVersionInfo,
    help: "1 for the capabilities version currently synced.",
    labelNames: ["version"] as const,
    registers,
  });

  return {
    ...createGenAiMetrics(registry),
    ...createBudgetMetrics(registry),
    service,
    registry,
    httpRequestDuration,
    wsConnectionsOpen,
    chatTurns,
    chatTimeToFirstToken,
    chatTurnDuration,
    modelTokens,
    toolCalls,
    capabilitySyncs,
    capabilitiesVersionInfo,
    recordTurn(outcome, durationSeconds, timeToFirstTokenSeconds) {
      chatTurns.inc({ outcome });
      chatTurnDuration.observe(durationSeconds);
      if (timeToFirstTokenSeconds !== undefined)
        chatTimeToFirstToken.observe(timeToFirstTokenSeconds);
    },
    recordTokens(input, output) {
      if (input > 0) modelTokens.inc({ direction: "input" }, input);
      if (output > 0) modelTokens.inc({ direction: "output" }, output);
    },
    recordToolCall(tool, outcome) {
      toolCalls.inc({ tool, outcome });
    },
    recordCapabilitySync(outcome, version) {
      capabilitySyncs.inc({ outcome });
      if (version !== undefined) {
        // One series: the version now in force.
        capabilitiesVersionInfo.reset();
        capabilitiesVersionInfo.set({ version }, 1);
      }
    },
  };
}

/** Label for requests no route matched (so raw paths never become label values). */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * Hono middleware: observes every request's duration labelled by the route TEMPLATE
 * (`/tools/:name`), never the raw path or query. Mount first: `app.use(httpMetrics(m))`.
 */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      // -1: the last route that matched this request, even if a middleware answered first.
      const template = routePath(c, -1);
      const route = !template || template === "*" || template === "/*" ? UNMATCHED_ROUTE : template;
      metrics.httpRequestDuration.observe(
        { method: c.req.method, route, status: String(status) },
        (performance.now() - started) / 1000,
      );
    }
  };
}

/** `GET /metrics`: `app.get("/metrics", metricsHandler(metrics))`. */
export function metricsHandler(metrics: Metrics): MiddlewareHandler {
  return async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { "content-type": metrics.registry.contentType });
  };
}
