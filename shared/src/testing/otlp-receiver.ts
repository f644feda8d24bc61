/**
 * A small OTLP/HTTP (JSON) receiver, the test's stand-in for the collector: it keeps every
 * span, log record and metric it is sent, by the sender's `service.name`.
 */

export type OtlpAttribute = { key: string; value: Record<string, unknown> };
export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes?: OtlpAttribute[];
};
export type OtlpLog = {
  traceId?: string;
  spanId?: string;
  body?: { stringValue?: string };
  attributes?: OtlpAttribute[];
};

/** One metric of a push: its name and data points (gauges and sums). */
export type OtlpMetric = {
  name: string;
  points: Array<{ attributes?: OtlpAttribute[]; value: number }>;
};

/** OTLP's SpanKind enum. */
export const otlpKind = { internal: 1, server: 2, client: 3 } as const;

type Batch = {
  service: string;
  resource: OtlpAttribute[];
  spans: OtlpSpan[];
  logs: OtlpLog[];
  metrics?: OtlpMetric[];
};

type RawPoint = { attributes?: OtlpAttribute[]; asDouble?: number; asInt?: number | string };
type RawMetric = {
  name: string;
  gauge?: { dataPoints?: RawPoint[] };
  sum?: { dataPoints?: RawPoint[] };
};

const metricOf = (raw: RawMetric): OtlpMetric => ({
  name: raw.name,
  points: [...(raw.gauge?.dataPoints ?? []), ...(raw.sum?.dataPoints ?? [])].map((point) => ({
    ...(point.attributes ? { attributes: point.attributes } : {}),
    value: Number(point.asDouble ?? point.asInt ?? Number.NaN),
  })),
});

const serviceOf = (resource: { attributes?: OtlpAttribute[] } | undefined) =>
  String(resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue);

export function attribute(item: { attributes?: OtlpAttribute[] }, key: string): unknown {
  const value = item.attributes?.find((a) => a.key === key)?.value;
  if (!value) return undefined;
  const [only] = Object.values(value);
  // JSON OTLP may send 64-bit integers as strings.
  return "intValue" in value ? Number(only) : only;
}

export function startOtlpReceiver() {
  const batches: Batch[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (!request.headers.get("content-type")?.includes("json"))
        return new Response("JSON only", { status: 415 });
      const raw = new Uint8Array(await request.arrayBuffer());
      const bytes = request.headers.get("content-encoding") === "gzip" ? Bun.gunzipSync(raw) : raw;
      const body = JSON.parse(new TextDecoder().decode(bytes));
      const path = new URL(request.url).pathname;
      if (path === "/v1/traces") {
        for (const rs of body.resourceSpans ?? [])
          batches.push({
            service: serviceOf(rs.resource),
            resource: rs.resource?.attributes ?? [],
            spans: rs.scopeSpans.flatMap((s: { spans?: OtlpSpan[] }) => s.spans ?? []),
            logs: [],
          });
      } else if (path === "/v1/logs") {
        for (const rl of body.resourceLogs ?? [])
          batches.push({
            service: serviceOf(rl.resource),
            resource: rl.resource?.attributes ?? [],
            spans: [],
            logs: rl.scopeLogs.flatMap((s: { logRecords?: OtlpLog[] }) => s.logRecords ?? []),
          });
      } else if (path === "/v1/metrics") {
        for (const rm of body.resourceMetrics ?? [])
          batches.push({
            service: serviceOf(rm.resource),
            resource: rm.resource?.attributes ?? [],
            spans: [],
            logs: [],
            metrics: rm.scopeMetrics.flatMap((s: { metrics?: RawMetric[] }) =>
              (s.metrics ?? []).map(metricOf),
            ),
          });
      } else return new Response("not found", { status: 404 });
      return Response.json({});
    },
  });
  const of = (service?: string) => batches.filter((b) => !service || b.service === service);
  return {
    url: `http://127.0.0.1:${server.port}`,
    services: () => [...new Set(batches.map((b) => b.service))],
    /** Every span (of one service, when named). */
    spans: (service?: string) => of(service).flatMap((b) => b.spans),
    logs: (service?: string) => of(service).flatMap((b) => b.logs),
    /** Every metric pushed (by one service, when named). */
    metrics: (service?: string) => of(service).flatMap((b) => b.metrics ?? []),
    /** The resource attributes of each batch (of one service, when named). */
    resources: (service?: string) => of(service).map((b) => ({ attributes: b.resource })),
    stop: () => server.stop(true),
  };
}

export type OtlpReceiver = ReturnType<typeof startOtlpReceiver>;
