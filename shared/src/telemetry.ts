/**
 * Traces and logs for api and agent. `initTelemetry` returns a handle (tracer, logger,
 * flush, shutdown) instead of registering global providers, so two services can live in one
 * test process with their own `service.name`. Only the context manager and the W3C
 * propagator are global (they carry no service identity).
 *
 * Under Bun nothing is auto-instrumented (neither `fetch` nor `Bun.serve`): servers call
 * `extractContext(headers)` for incoming requests and clients call
 * `injectTraceparent(headers)` before `fetch`.
 *
 * Why not `@opentelemetry/sdk-node` (NodeSDK 0.301, tried under Bun 1.4.4): it starts and
 * exports spans and logs, but `start()` registers process-global providers. A second service
 * in the same process (every cross-service test) gets "Attempted duplicate registration of
 * API: context / propagation / trace / logs / metrics", and its spans and logs are exported
 * under the first service's name. Without span processors (no endpoint) it registers no
 * tracer provider, so logs would lose their trace ids; without `metricReaders` it starts an
 * OTLP metrics exporter from the env. Its resource set-up is kept below (the same detectors).
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { createLogger, type Logger, type LogLevel, redactString } from "./logger.ts";

export { genAiAttributes, type ModelUsage, setModelUsage } from "./genai-attributes.ts";
export type { Context, Span };
/** ROOT_CONTEXT: pass as `parent` to start a fresh trace (the api's chat turn). */
export { ROOT_CONTEXT, SpanKind, SpanStatusCode };

/** Span names shared by api and agent so tests and dashboards can find them. */
export const spanNames = {
  /** api: one WebSocket chat turn (root of the trace). */
  chatTurn: "chat.turn",
  /** api: the POST /run call to the agent (client span). */
  agentRunCall: "agent.run call",
  /** agent: handling POST /run (server span, parent from traceparent). */
  agentRun: "agent.run",
  /** agent: one agent invocation inside the run (GenAI: `invoke_agent {agent name}`). */
  invokeAgent: (agent: string) => `invoke_agent ${agent}`,
  /** agent: one model call; GenAI convention is "{operation} {model}". */
  modelCall: (model: string) => `chat ${model}`,
  /** agent: one tool call (GenAI: `execute_tool {tool name}`, internal). */
  toolCall: (tool: string) => `execute_tool ${tool}`,
  /** agent: the HTTP request of a tool call to the api (client span). */
  toolRequest: "POST /tools/:name",
  /** agent: control passing from one agent to another (the SDK's handoff). */
  handoff: (to: string) => `handoff ${to}`,
  /** api: handling POST /tools/:name (server span). */
  toolHandler: (tool: string) => `tool ${tool}`,
  /** api: database work; `db.<entity>.<operation>` e.g. `db.workouts.insert`. */
  db: (operation: string) => `db.${operation}`,
} as const;

export interface TelemetryOptions {
  serviceName: string;
  /** Base OTLP/HTTP endpoint (`http://otel-collector:4318`); absent = export nothing. */
  otlpEndpoint?: string | undefined;
  logLevel?: LogLevel | undefined;
  serviceVersion?: string | undefined;
  /** How often batches are sent (ms). */
  exportDelayMs?: number;
  /** Upper bound for one export including retries (ms); default 10 s. */
  exportTimeoutMs?: number;
  /** Where JSON log lines go (stdout by default). */
  writeLog?: (line: string) => void;
}

export interface SpanOptions {
  kind?: SpanKind;
  /** Parent context (e.g. from `extractContext`); the active context otherwise. */
  parent?: Context;
}

export interface Telemetry {
  readonly serviceName: string;
  /** True when spans and logs are exported. */
  readonly exporting: boolean;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Runs `fn` inside a new active span; records a thrown error and rethrows it. */
  withSpan<T>(
    name: string,
    attributes: Attributes,
    fn: (span: Span) => Promise<T> | T,
    options?: SpanOptions,
  ): Promise<T>;
  /** For spans whose end is not a callback's end (a streamed turn): call `span.end()` yourself. */
  startSpan(name: string, attributes?: Attributes, options?: SpanOptions): Span;
  /** Sends everything buffered now (tests; before exit). False when the endpoint failed. */
  flush(): Promise<boolean>;
  /** Flush and stop the exporters' timers. Never throws (false when the endpoint failed). */
  shutdown(): Promise<boolean>;
}

let globalsInstalled = false;

/** AsyncLocalStorage context + W3C traceparent; idempotent, safe without an endpoint. */
function installGlobals() {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export function initTelemetry(options: TelemetryOptions): Telemetry {
  installGlobals();
  // What NodeSDK's resource set-up would give (see the head of this file): the process, the
  // host, OTEL_RESOURCE_ATTRIBUTES, and an instance id per handle, so two api processes are
  // two series; the service's own name wins over OTEL_SERVICE_NAME.
  const detected = detectResources({ detectors: [envDetector, processDetector, hostDetector] });
  const resource = defaultResource()
    .merge(detected)
    .merge(
      resourceFromAttributes({
        "service.name": options.serviceName,
        "service.instance.id": crypto.randomUUID(),
        ...(options.serviceVersion ? { "service.version": options.serviceVersion } : {}),
      }),
    );
  const base = options.otlpEndpoint?.trim().replace(/\/+$/, "");
  const scheduledDelayMillis = options.exportDelayMs ?? 2000;
  const timeoutMillis = options.exportTimeoutMs ?? 10_000;

  // Without an endpoint the provider still makes real ids, so logs correlate and an incoming
  // traceparent continues through this service; nothing is sent anywhere.
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: base
      ? [
          new BatchSpanProcessor({
            exporter: new OTLPTraceExporter({ url: `${base}/v1/traces`, timeoutMillis }),
            scheduledDelayMillis,
          }),
        ]
      : [],
  });
  const loggerProvider = base
    ? new LoggerProvider({
        resource,
        processors: [
          new BatchLogRecordProcessor({
            exporter: new OTLPLogExporter({ url: `${base}/v1/logs`, timeoutMillis }),
            scheduledDelayMillis,
          }),
        ],
      })
    : undefined;

  const tracer = tracerProvider.getTracer(`trainer2-${options.serviceName}`);
  const logger = createLogger({
    service: options.serviceName,
    level: options.logLevel ?? "info",
    ...(loggerProvider ? { otelLogger: loggerProvider.getLogger("trainer2") } : {}),
    ...(options.writeLog ? { write: options.writeLog } : {}),
  });

  // An unreachable collector must never take a service down: report, do not throw.
  const settle = async (what: string, work: Array<Promise<void> | undefined>) => {
    const results = await Promise.allSettled(work);
    const failed = results.find((r) => r.status === "rejected");
    if (failed)
      logger.warn(`telemetry ${what} could not reach the OTLP endpoint`, { error: failed.reason });
    return !failed;
  };

  const startSpan = (name: string, attributes: Attributes = {}, opts: SpanOptions = {}) =>
    tracer.startSpan(
      name,
      { kind: opts.kind ?? SpanKind.INTERNAL, attributes: safeAttributes(attributes) },
      opts.parent ?? context.active(),
    );

  return {
    serviceName: options.serviceName,
    exporting: Boolean(base),
    tracer,
    logger,
    startSpan,
    async withSpan(name, attributes, fn, opts = {}) {
      const span = startSpan(name, attributes, opts);
      const ctx = trace.setSpan(opts.parent ?? context.active(), span);
      try {
        return await context.with(ctx, () => fn(span));
      } catch (error) {
        recordError(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    flush: () => settle("flush", [tracerProvider.forceFlush(), loggerProvider?.forceFlush()]),
    shutdown: () => settle("shutdown", [tracerProvider.shutdown(), loggerProvider?.shutdown()]),
  };
}

/** Marks `span` failed with a redacted message (error text can quote a token). */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (error as { code?: unknown })?.code;
  span.recordException({
    name: err.name,
    message: redactString(err.message),
    ...(typeof code === "string" ? { code } : {}),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: redactString(err.message) });
}

/**
 * The active context, for work that starts later than the code that owns it (a streamed
 * response's body): pass it as `parent` so the span still nests where it belongs.
 */
export function activeContext(): Context {
  return context.active();
}

/** `parent` with `span` as its active span: the parent to give a child of `span`. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

/** Runs `fn` with `span` as the active span (for spans made with `startSpan`). */
export function runInSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

type HeaderBag = Headers | Record<string, string>;

/**
 * Adds `traceparent` (and `tracestate`) for `ctx` (the active context by default) to
 * `headers` and returns them, for `fetch(url, { headers: injectTraceparent({...}) })`.
 */
export function injectTraceparent<H extends HeaderBag>(
  headers: H,
  ctx: Context = context.active(),
): H {
  propagation.inject(ctx, headers, {
    set(carrier, key, value) {
      if (carrier instanceof Headers) carrier.set(key, value);
      else (carrier as Record<string, string>)[key] = value;
    },
  });
  return headers;
}

const headerGetter: TextMapGetter<Headers | Record<string, string | string[] | undefined>> = {
  keys(carrier) {
    return carrier instanceof Headers ? [...carrier.keys()] : Object.keys(carrier);
  },
  get(carrier, key) {
    if (carrier instanceof Headers) return carrier.get(key) ?? undefined;
    const direct = carrier[key] ?? carrier[key.toLowerCase()];
    if (direct !== undefined) return direct;
    const match = Object.keys(carrier).find((k) => k.toLowerCase() === key.toLowerCase());
    return match === undefined ? undefined : carrier[match];
  },
};

/** The remote parent carried by `traceparent` in `headers` (ROOT-based when absent). */
export function extractContext(
  headers: Headers | Record<string, string | string[] | undefined>,
  base: Context = context.active(),
): Context {
  return propagation.extract(base, headers, headerGetter);
}

function safeAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = typeof value === "string" ? redactString(value) : value;
  }
  return out;
}

/**
 * Hono middleware: one SERVER span per request, continuing an incoming `traceparent`, named
 * `METHOD /route/:template`. `/health` and `/metrics` are skipped (scrapes are not traces).
 */
export function httpTracing(
  telemetry: Telemetry,
  skip: (path: string) => boolean = (path) => path === "/health" || path === "/metrics",
): MiddlewareHandler {
  return async (c, next) => {
    if (skip(c.req.path)) return next();
    const method = c.req.method;
    const parent = extractContext(c.req.raw.headers);
    const span = telemetry.startSpan(
      method,
      { "http.request.method": method },
      { kind: SpanKind.SERVER, parent },
    );
    try {
      await context.with(trace.setSpan(parent, span), () => next());
      const status = c.res.status;
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      const template = routePath(c, -1);
      const route = !template || template === "*" || template === "/*" ? "unmatched" : template;
      span.setAttribute("http.route", route);
      span.updateName(`${method} ${route}`);
      span.end();
    }
  };
}
