import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import {
  createMetrics,
  httpMetrics,
  metricNames,
  metricsHandler,
  UNMATCHED_ROUTE,
} from "./metrics.ts";

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Strict reader for the Prometheus text format (0.0.4): throws on any line it cannot read. */
function parsePrometheusText(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(meta[3] ?? ""))
          throw new Error(`bad TYPE: ${line}`);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (!m) throw new Error(`unreadable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const lp = labelPair.exec(pair);
      if (!lp) throw new Error(`bad label in: ${line}`);
      labels[lp[1]!] = lp[2]!;
    }
    // Prometheus reads floats with Go's ParseFloat: NaN in any case (prom-client writes "Nan").
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3] ?? "")) throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

function appWith(metrics = createMetrics("api", { defaultMetrics: false })) {
  const app = new Hono();
  app.use(httpMetrics(metrics));
  app.use("/tools/*", async (c, next) => {
    if (!c.req.header("authorization")) return c.json({ ok: false }, 401);
    return next();
  });
  app.get("/state", (c) => c.json({ ok: true }));
  app.post("/tools/:name", (c) => c.json({ ok: true, tool: c.req.param("name") }));
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.get("/metrics", metricsHandler(metrics));
  app.onError((_error, c) => c.json({ ok: false }, 500));
  return { app, metrics };
}

describe("metrics", () => {
  test("http durations are labelled by route template and status, never raw paths", async () => {
    const { app } = appWith();
    await app.request("/state?sessionId=3f6c0a0e-secret-ish");
    await app.request("/tools/log_workout", {
      method: "POST",
      headers: { authorization: "Bearer x" },
    });
    await app.request("/tools/get_profile", { method: "POST" }); // refused by the middleware
    await app.request("/users/12345/anything");
    await app.request("/boom");
    const res = await app.request("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    const { samples } = parsePrometheusText(text);
    const counts = samples.filter((s) => s.name === `${metricNames.httpRequestDuration}_count`);
    const keyed = counts
      .map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status} ${s.value}`)
      .sort();
    expect(keyed).toEqual(
      [
        "GET /state 200 1",
        "POST /tools/:name 200 1",
        "POST /tools/:name 401 1",
        `GET ${UNMATCHED_ROUTE} 404 1`,
        "GET /boom 500 1",
      ].sort(),
    );
    for (const raw of ["sessionId", "log_workout", "get_profile", "12345"])
      expect(text).not.toContain(raw);
    expect(counts.every((s) => s.labels.service === "api")).toBe(true);
  });

  test("every product metric is registered with its type, and the output parses", async () => {
    const metrics = createMetrics("agent");
    metrics.wsConnectionsOpen.inc();
    metrics.recordTurn("completed", 2.5, 0.4);
    metrics.recordTurn("failed", 1);
    metrics.recordTokens(120, 30);
    metrics.recordToolCall("log_workout", "ok");
    metrics.recordToolCall("log_workout", "error");
    metrics.recordCapabilitySync("updated", "v1");
    metrics.recordCapabilitySync("unchanged", "v2");
    metrics.recordModelCall({
      operation: "chat",
      provider: "openai",
      requestModel: "gpt-test",
      responseModel: "gpt-test-0613",
      durationSeconds: 0.7,
      inputTokens: 120,
      outputTokens: 30,
      timeToFirstChunkSeconds: 0.2,
    });
    metrics.recordToolDuration("log_workout", "error", 0.05);
    metrics.recordRefusal("daily_tokens");
    metrics.recordReserved(900);
    metrics.recordUsed({ inputTokens: 600, outputTokens: 200 });
    metrics.recordCost("gpt-test", 0.0012);
    const { samples, types } = parsePrometheusText(await metrics.registry.metrics());
    expect(
      Object.fromEntries(
        [...types].filter(([n]) => Object.values(metricNames).includes(n as never)),
      ),
    ).toEqual({
      chat_turns_total: "counter",
      http_request_duration_seconds: "histogram",
      ws_connections_open: "gauge",
      chat_time_to_first_token_seconds: "histogram",
      chat_turn_duration_seconds: "histogram",
      model_tokens_total: "counter",
      tool_calls_total: "counter",
      capability_syncs_total: "counter",
      capabilities_version_info: "gauge",
      gen_ai_client_token_usage: "histogram",
      gen_ai_client_operation_duration_seconds: "histogram",
      gen_ai_client_operation_time_to_first_chunk_seconds: "histogram",
      tool_call_duration_seconds: "histogram",
      budget_refusals_total: "counter",
      budget_reserved_tokens_total: "counter",
      budget_used_tokens_total: "counter",
      budget_cost_usd_total: "counter",
    });
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;
    expect(value("ws_connections_open")).toBe(1);
    expect(value("chat_turns_total", { outcome: "completed" })).toBe(1);
    expect(value("chat_turns_total", { outcome: "failed" })).toBe(1);
    expect(value("chat_turn_duration_seconds_count")).toBe(2);
    expect(value("chat_time_to_first_token_seconds_count")).toBe(1);
    expect(value("model_tokens_total", { direction: "input" })).toBe(120);
    expect(value("model_tokens_total", { direction: "output" })).toBe(30);
    expect(value("tool_calls_total", { tool: "log_workout", outcome: "error" })).toBe(1);
    // GenAI metrics carry the conventions' attributes as labels (dots become underscores).
    const call = {
      gen_ai_operation_name: "chat",
      gen_ai_provider_name: "openai",
      gen_ai_request_model: "gpt-test",
      gen_ai_response_model: "gpt-test-0613",
    };
    expect(value("gen_ai_client_token_usage_sum", { ...call, gen_ai_token_type: "input" })).toBe(
      120,
    );
    expect(value("gen_ai_client_token_usage_sum", { ...call, gen_ai_token_type: "output" })).toBe(
      30,
    );
    expect(value("gen_ai_client_operation_duration_seconds_count", call)).toBe(1);
    expect(value("gen_ai_client_operation_time_to_first_chunk_seconds_sum", call)).toBe(0.2);
    expect(
      value("tool_call_duration_seconds_count", { tool: "log_workout", outcome: "error" }),
    ).toBe(1);
    expect(value("budget_refusals_total", { limit: "daily_tokens" })).toBe(1);
    expect(value("budget_reserved_tokens_total")).toBe(900);
    expect(value("budget_used_tokens_total", { direction: "input" })).toBe(600);
    expect(value("budget_cost_usd_total", { model: "gpt-test" })).toBe(0.0012);
    // Only the version now in force is reported.
    const versions = samples.filter((s) => s.name === "capabilities_version_info");
    expect(versions.map((s) => [s.labels.version, s.value])).toEqual([["v2", 1]]);
    // Default process metrics are there too.
    expect(types.has("process_cpu_user_seconds_total")).toBe(true);
  });

  test("several registries live side by side (no global state)", async () => {
    const a = createMetrics("api");
    const b = createMetrics("agent");
    a.chatTurns.inc({ outcome: "completed" });
    const textB = await b.registry.metrics();
    expect(textB).toContain("# TYPE chat_turns_total counter");
    expect(parsePrometheusText(textB).samples.some((s) => s.name === "chat_turns_total")).toBe(
      false,
    );
    expect(await a.registry.metrics()).toContain(
      'chat_turns_total{outcome="completed",service="api"} 1',
    );
  });
});
