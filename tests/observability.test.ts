/**
 * The observability configs, checked without containers: promtool on the Prometheus config and
 * on real /metrics output, and the wiring between compose.yaml, the collector, Tempo, Loki and
 * Grafana (every hostname, port and data-source uid one file names exists in the other).
 * The OTLP export itself is proven in shared/src/telemetry.test.ts against a live receiver.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createMetrics } from "@trainer2/shared/metrics";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { parse } from "yaml";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const root = resolve(import.meta.dir, "..");
const yamlAt = (path: string) => parse(readFileSync(join(root, path), "utf8"));
// biome-ignore lint/suspicious/noExplicitAny: config files are free-form YAML, checked field by field
type Any = any;
const compose: Any = yamlAt("compose.yaml");
const promtool = Bun.which("promtool");

async function run(cmd: string[], stdin?: string) {
  const { stdout, stderr, code } = await runCommand(cmd, { cwd: root, stdin });
  return { code, output: stdout + stderr };
}

describe("Prometheus", () => {
  const config: Any = yamlAt("otel/prometheus.yml");

  test("scrapes api:9464/metrics (every replica, its METRICS_PORT) and agent:9000/metrics (the compose services and ports)", () => {
    const jobs = Object.fromEntries(
      config.scrape_configs.map((job: Any) => [
        job.job_name,
        {
          path: job.metrics_path ?? "/metrics",
          targets: [
            ...(job.static_configs ?? []).flatMap((s: Any) => s.targets),
            ...(job.dns_sd_configs ?? []).flatMap((d: Any) =>
              d.names.map((name: string) => `${name}:${d.port}`),
            ),
          ],
        },
      ]),
    );
    expect(jobs.api).toEqual({ path: "/metrics", targets: ["api:9464"] });
    // The proxy passes on 8000 only; /metrics lives on a port it does not expose.
    expect(compose.services.api.environment.METRICS_PORT).toBe("9464");
    expect(compose.services.api.expose).toContain("9464");
    expect(compose.services.api.ports).toBeUndefined();
    expect(jobs.agent).toEqual({ path: "/metrics", targets: ["agent:9000"] });
    expect(compose.services.api.environment.PORT).toBe("8000");
    expect(compose.services.agent.environment.PORT).toBe("9000");
    expect(compose.services.prometheus.volumes).toContain(
      "./otel/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
    );
  });

  test("promtool check config passes on the repo's config", async () => {
    // CI installs Debian's `prometheus` package (.ci/run); a developer without it still gets
    // the structural checks above, but CI must not silently skip this one.
    if (!promtool) {
      expect(process.env.CI).not.toBe("true");
      return;
    }
    const result = await run([promtool, "check", "config", "otel/prometheus.yml"]);
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  test("promtool check metrics: /metrics output parses; lint warnings only from default metrics", async () => {
    if (!promtool) {
      expect(process.env.CI).not.toBe("true");
      return;
    }
    const metrics = createMetrics("api");
    metrics.recordTurn("completed", 1.5, 0.3);
    metrics.recordTokens(10, 20);
    metrics.recordToolCall("log_workout", "ok");
    metrics.recordCapabilitySync("updated", "abc123");
    metrics.wsConnectionsOpen.inc();
    metrics.httpRequestDuration.observe({ method: "GET", route: "/state", status: "200" }, 0.02);
    const result = await run([promtool, "check", "metrics"], await metrics.registry.metrics());
    // 0 = clean, 3 = lint warnings only (prom-client's default nodejs_* names); 1 = broken.
    expect([0, 3]).toContain(result.code);
    const warnings = result.output.split("\n").filter((l) => l.trim() !== "");
    expect(warnings.filter((l) => !/^(nodejs|process)_/.test(l))).toEqual([]);
  });
});

describe("collector, Tempo, Loki", () => {
  const collector: Any = yamlAt("otel/otel-collector.yaml");
  const tempo: Any = yamlAt("otel/tempo.yaml");
  const loki: Any = yamlAt("otel/loki.yaml");

  test("collector takes OTLP on 4317/4318 and sends traces to Tempo and logs to Loki", () => {
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe("0.0.0.0:4318");
    const { traces, logs } = collector.service.pipelines;
    expect(traces.receivers).toEqual(["otlp"]);
    expect(logs.receivers).toEqual(["otlp"]);
    expect(traces.exporters.map((e: string) => collector.exporters[e].endpoint)).toEqual([
      "tempo:4317",
    ]);
    expect(logs.exporters.map((e: string) => collector.exporters[e].endpoint)).toEqual([
      "http://loki:3100/otlp",
    ]);
    for (const p of [...traces.processors, ...logs.processors])
      expect(collector.processors).toHaveProperty(p);
    // Pushed metrics (the eval runner's pass rate) go on to Prometheus' OTLP receiver.
    const { metrics } = collector.service.pipelines;
    expect(metrics.receivers).toEqual(["otlp"]);
    expect(metrics.exporters.map((e: string) => collector.exporters[e].endpoint)).toEqual([
      "http://prometheus:9090/api/v1/otlp",
    ]);
    for (const p of metrics.processors) expect(collector.processors).toHaveProperty(p);
    expect(compose.services.prometheus.command).toContain("--web.enable-otlp-receiver");
    expect(collector.service.extensions).toEqual(["health_check"]);
    expect(collector.extensions.health_check.endpoint).toBe("0.0.0.0:13133");
    expect(compose.services["otel-collector"].healthcheck.test.join(" ")).toContain(
      "127.0.0.1:13133",
    );
    expect(compose.services["otel-collector"].volumes).toContain(
      "./otel/otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro",
    );
  });

  test("Tempo listens where the collector sends and serves 3200; Loki keeps trace ids", () => {
    expect(tempo.distributor.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(tempo.server.http_listen_port).toBe(3200);
    expect(compose.services.tempo.command).toEqual(["-config.file=/etc/tempo.yaml"]);
    expect(compose.services.tempo.volumes).toContain("./otel/tempo.yaml:/etc/tempo.yaml:ro");
    expect(tempo.storage.trace.wal.path).toStartWith("/var/tempo");
    expect(compose.services.tempo.volumes).toContain("tempo-data:/var/tempo");
    expect(loki.server.http_listen_port).toBe(3100);
    expect(loki.limits_config.allow_structured_metadata).toBe(true);
    expect(loki.common.path_prefix).toBe("/loki");
    expect(compose.services.loki.volumes).toContain("loki-data:/loki");
    expect(compose.services.loki.command).toEqual(["-config.file=/etc/loki/loki.yaml"]);
  });
});

describe("Grafana provisioning", () => {
  const datasources: Any = yamlAt("grafana/provisioning/datasources/datasources.yaml").datasources;
  const byUid = Object.fromEntries(datasources.map((d: Any) => [d.uid, d]));

  test("Prometheus, Tempo and Loki point at the compose services", () => {
    expect(Object.keys(byUid).sort()).toEqual(["loki", "prometheus", "tempo"]);
    expect(byUid.prometheus.url).toBe("http://prometheus:9090");
    expect(byUid.tempo.url).toBe("http://tempo:3200");
    expect(byUid.loki.url).toBe("http://loki:3100");
    expect(datasources.filter((d: Any) => d.isDefault).map((d: Any) => d.uid)).toEqual([
      "prometheus",
    ]);
  });

  test("trace -> logs and logs -> trace links name each other, with Grafana's $$ escapes", () => {
    const toLogs = byUid.tempo.jsonData.tracesToLogsV2;
    expect(toLogs.datasourceUid).toBe("loki");
    expect(toLogs.query).toBe('{$${__tags}} | trace_id="$${__trace.traceId}"');
    expect(toLogs.tags).toEqual([{ key: "service.name", value: "service_name" }]);
    const [derived] = byUid.loki.jsonData.derivedFields;
    expect(derived).toMatchObject({
      matcherType: "label",
      matcherRegex: "trace_id",
      datasourceUid: "tempo",
      url: "$${__value.raw}",
    });
  });

  test("the dashboard provider loads the mounted dashboards; every panel uses a provisioned source", () => {
    const [provider] = yamlAt("grafana/provisioning/dashboards/dashboards.yaml").providers;
    expect(compose.services.grafana.volumes).toContain(
      `./grafana/dashboards:${provider.options.path}:ro`,
    );
    expect(compose.services.grafana.volumes).toContain(
      "./grafana/provisioning:/etc/grafana/provisioning:ro",
    );
    expect(compose.services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toBe("admin");
    const dashboard = JSON.parse(
      readFileSync(join(root, "grafana/dashboards/trainer2.json"), "utf8"),
    );
    const titles = dashboard.panels.filter((p: Any) => p.type !== "row").map((p: Any) => p.title);
    for (const wanted of [
      "Turns per minute",
      "Time to first token",
      "Turn errors per minute",
      "Tool calls per minute",
      "Tool failures per minute",
      "Open WebSockets",
      "Request rate",
      "Error rate (5xx)",
      "Duration p95",
      "Model tokens by model and type",
      "Time to first chunk",
      "Tool call latency p95",
      "Tool call errors by tool",
      "Eval pass rate",
      "Budget refusals per minute",
      "API processes up",
    ])
      expect(titles).toContain(wanted);
    for (const panel of dashboard.panels.filter((p: Any) => p.type !== "row")) {
      expect(byUid).toHaveProperty(panel.datasource.uid);
      for (const target of panel.targets) expect(byUid).toHaveProperty(target.datasource.uid);
    }
  });
});
