/**
 * compose.yaml checked statically (no Docker engine on CI): the Compose JSON Schema, the files
 * it mounts, the agreed host ports, healthchecks, required secrets, the Dockerfiles it builds,
 * and that every metric the Grafana dashboard queries is one the services register.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { evalMetricNames } from "@trainer2/agent/evals/metrics";
import { createMetrics, metricNames } from "@trainer2/shared/metrics";
import Ajv from "ajv";
import { parse } from "yaml";

const root = resolve(import.meta.dir, "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const composeText = read("compose.yaml");
type Service = Record<string, unknown> & {
  image?: string;
  build?: { context: string; dockerfile?: string };
  ports?: Array<string | { published?: string | number; target: number }>;
  volumes?: Array<string | { type: string; source?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  command?: string | string[];
  profiles?: string[];
};
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: object };
const services = compose.services;

/** The agreed host ports (issue 7, the seed's README). */
const expectedHostPorts: Record<string, number[]> = {
  web: [3000],
  // The api's port is the proxy's, in front of the api replicas.
  proxy: [8000],
  agent: [9000],
  db: [5432],
  grafana: [3001],
  prometheus: [9090],
  loki: [3100],
  tempo: [3200],
  "otel-collector": [4317, 4318],
};

/** `${VAR:?message}`: compose refuses to start without these. Listed for .env.example too. */
const requiredComposeVars = [
  "AGENT_PRIVATE_KEY",
  "AGENT_PUBLIC_KEY",
  "API_PRIVATE_KEY",
  "API_PUBLIC_KEY",
  "NEXTAUTH_SECRET",
];

function hostPort(
  mapping: Service["ports"] extends Array<infer P> | undefined ? P : never,
): number {
  if (typeof mapping === "object") return Number(mapping.published);
  const parts = mapping.split(":"); // [ip:]host:container[/proto]
  return Number(parts.length === 3 ? parts[1] : parts[0]);
}

describe("compose.yaml", () => {
  test("is valid against the Compose Specification's JSON Schema", () => {
    const { $schema: _unknownToAjv, ...schema } = JSON.parse(
      read("tests/vendor/compose-spec.json"),
    );
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(ajv.errorsText(validate.errors, { separator: "\n" })).toBe("No errors");
    expect(ok).toBe(true);
    // The validator is live: a wrong type is refused.
    expect(validate({ services: { db: { image: "postgres:16", ports: "5432" } } })).toBe(false);
  });

  test("every bind-mounted file or directory and every build input exists", () => {
    const missing: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === "string" ? volume.split(":")[0]! : (volume.source ?? "");
        const isBind = source.startsWith(".") || source.startsWith("/");
        if (!isBind) {
          expect(Object.keys(compose.volumes ?? {})).toContain(source);
          continue;
        }
        if (!existsSync(join(root, source))) missing.push(`${name}: ${source}`);
      }
      if (service.build) {
        const context = join(root, service.build.context);
        if (!existsSync(context)) missing.push(`${name}: build context ${service.build.context}`);
        const dockerfile = join(context, service.build.dockerfile ?? "Dockerfile");
        if (!existsSync(dockerfile)) missing.push(`${name}: ${service.build.dockerfile}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("host ports are exactly the agreed ones, on loopback", () => {
    const actual: Record<string, number[]> = {};
    for (const [name, service] of Object.entries(services)) {
      if (!service.ports?.length) continue;
      actual[name] = service.ports.map(hostPort).sort((a, b) => a - b);
      for (const port of service.ports)
        if (typeof port === "string") expect(port).toStartWith("127.0.0.1:");
    }
    expect(actual).toEqual(expectedHostPorts);
    expect(services.grafana?.ports).toEqual(["127.0.0.1:3001:3000"]);
  });

  test("every service has a healthcheck", () => {
    for (const [name, service] of Object.entries(services)) {
      const check = service.healthcheck;
      expect({ name, test: Array.isArray(check?.test) && check.test.length > 1 }).toEqual({
        name,
        test: true,
      });
      expect(check?.disable).not.toBe(true);
    }
    expect(services.db?.healthcheck?.test).toContain("pg_isready");
  });

  test("db keeps its data in a volume; api migrates then serves once db is healthy", () => {
    expect(services.db?.image).toBe("postgres:16");
    expect(services.db?.volumes).toContain("db-data:/var/lib/postgresql/data");
    expect(services.api?.depends_on?.db?.condition).toBe("service_healthy");
    const command = [services.api?.command ?? []].flat().join(" ");
    expect(command).toMatch(
      /bun db\/src\/cli\.ts migrate && exec bun --max-http-header-size=\d+ api\/src\/index\.ts/,
    );
    expect(services.api?.environment?.DATABASE_URL).toContain("@db:5432/");
    expect(services.api?.environment?.AGENT_URL).toBe("http://agent:9000");
    expect(services.agent?.environment?.API_URL).toBe("http://proxy:8000");
    for (const name of ["api", "agent"])
      expect(services[name]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
        "http://otel-collector:4318",
      );
    expect(services["offline-model"]?.profiles).toEqual(["offline-model"]);
    expect(Object.keys(services).sort()).toEqual(
      [
        "agent",
        "api",
        "db",
        "grafana",
        "loki",
        "offline-model",
        "otel-collector",
        "probe-tools",
        "proxy",
        "prometheus",
        "tempo",
        "web",
      ].sort(),
    );
  });

  test("images are pinned, never `latest`", () => {
    for (const [name, service] of Object.entries(services)) {
      const image = service.image ?? "";
      expect({ name, pinned: /:[\w.-]+$/.test(image) && !image.endsWith(":latest") }).toEqual({
        name,
        pinned: true,
      });
    }
  });

  test("required secrets use VAR:?message, dev login is off by default, and .env.example documents them", () => {
    const required = [
      ...new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+):\?[^}]+\}/g)].map((m) => m[1]!)),
    ].sort();
    expect(required).toEqual(requiredComposeVars);
    const devLogin = [...composeText.matchAll(/\$\{AUTH_DEV_LOGIN(?=[:?}-])(:?[-?])?([^}]*)\}/g)];
    expect(devLogin.length).toBeGreaterThan(0);
    for (const m of devLogin) expect(m[0]).toBe(`$${"{"}AUTH_DEV_LOGIN:-false}`);
    // The images run with NODE_ENV=production: the second, explicit switch is off too.
    const inProduction = [...composeText.matchAll(/\$\{AUTH_DEV_LOGIN_IN_PRODUCTION[^}]*\}/g)];
    expect(inProduction.length).toBeGreaterThan(0);
    for (const m of inProduction) expect(m[0]).toBe(`$${"{"}AUTH_DEV_LOGIN_IN_PRODUCTION:-false}`);
    // No secret is written into the file itself.
    expect(composeText).not.toMatch(/-----BEGIN|sk-[\w-]{16,}|eyJ[\w-]{10,}\./);
    const envExample = join(root, ".env.example");
    if (existsSync(envExample)) {
      const documented = readFileSync(envExample, "utf8");
      const missing = required.filter(
        (name) => !new RegExp(`^\\s*#?\\s*${name}=`, "m").test(documented),
      );
      expect(missing).toEqual([]);
    }
  });
});

describe("api replicas behind the proxy", () => {
  test("two api replicas, one process per core, only reachable through nginx on :8000", () => {
    const api = services.api as Service & { deploy?: { replicas?: number }; expose?: string[] };
    expect(api.deploy?.replicas).toBe(2);
    expect(api.environment?.API_WORKERS).toBe(`$${"{"}API_WORKERS:-auto}`);
    expect(api.ports).toBeUndefined();
    const proxy = services.proxy!;
    expect(proxy.image).toMatch(/^nginx:/);
    expect(proxy.volumes).toContain("./proxy/nginx.conf:/etc/nginx/nginx.conf:ro");
    expect(proxy.depends_on?.api?.condition).toBe("service_healthy");
    expect(services.web?.depends_on?.proxy?.condition).toBe("service_healthy");
    const conf = read("proxy/nginx.conf");
    expect(conf).toContain("server api:8000 max_fails=0;");
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    // Above the api's 25 s protocol pings, so a quiet socket is not cut.
    expect(Number(/proxy_read_timeout (\d+)s;/.exec(conf)?.[1])).toBeGreaterThan(25);
  });
});

describe("Dockerfiles", () => {
  for (const path of ["api/Dockerfile", "agent/Dockerfile", "web/Dockerfile"]) {
    test(`${path}: multi-stage on oven/bun:1.4.4, frozen lockfile, non-root, inputs exist`, () => {
      const text = read(path);
      const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
      expect(froms.length).toBeGreaterThanOrEqual(2);
      for (const image of froms) expect(image).toBe("oven/bun:1.4.4");
      expect(text).toMatch(/bun install --frozen-lockfile/);
      const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
      expect(users.length).toBeGreaterThan(0);
      expect(["root", "0"]).not.toContain(users.at(-1));
      // Every COPY from the build context names something that exists (and is not ignored).
      for (const m of text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)) {
        const parts = m[1]!.split(/\s+/).filter((p) => !p.startsWith("--"));
        for (const source of parts.slice(0, -1))
          expect({ source, exists: existsSync(join(root, source)) }).toEqual({
            source,
            exists: true,
          });
      }
    });
  }

  test(".dockerignore keeps secrets and local state out of the build context", () => {
    const lines = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of [
      "**/node_modules",
      ".env",
      ".env.*",
      "*.pem",
      ".git",
      "**/.next",
      "**/.data",
    ])
      expect(lines).toContain(entry);
  });
});

describe("Grafana dashboard", () => {
  const dashboard = JSON.parse(read("grafana/dashboards/trainer2.json")) as {
    panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

  /** Series Prometheus makes itself: `up` is 1 for each target it reached. */
  const prometheusSeries = ["up"];
  const registered = new Set<string>();
  for (const metric of createMetrics("dashboard-test").registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    registered.add(name);
    if (type === "histogram")
      for (const suffix of ["_bucket", "_sum", "_count"]) registered.add(name + suffix);
  }
  // Pushed by `bun run eval` over OTLP (gauges, so their names stay as they are).
  const pushed = new Set<string>(Object.values(evalMetricNames));
  const queried = new Set(exprs.flatMap(metricsIn));

  test("queries only metrics the services register or the eval runner pushes, and covers every product metric", () => {
    expect(queried.size).toBeGreaterThan(5);
    const known = (name: string) =>
      registered.has(name) || pushed.has(name) || prometheusSeries.includes(name);
    expect([...queried].filter((name) => !known(name))).toEqual([]);
    const families = new Set([...queried].map((n) => n.replace(/_(bucket|sum|count)$/, "")));
    for (const name of Object.values(metricNames)) expect(families).toContain(name);
    for (const name of pushed) expect(families).toContain(name);
  });

  test("api processes up reads the api job Prometheus scrapes", () => {
    const job = (name: string) =>
      (
        parse(read("otel/prometheus.yml")) as { scrape_configs: { job_name: string }[] }
      ).scrape_configs.some((c) => c.job_name === name);
    expect(exprs).toContain('sum(up{job="api"})');
    expect(job("api")).toBe(true);
  });

  test("the metric-name reader sees through functions, matchers and ranges", () => {
    expect(
      metricsIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{status=~"5..", route!="x"}[$__rate_interval]))) / on (route) group_left max(up offset 5m)',
      ),
    ).toEqual(["http_request_duration_seconds_bucket", "up"]);
  });
});

const promqlWords = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
  "inf",
  "nan",
]);

/** Metric names in a PromQL expression: identifiers that are not functions, labels or keywords. */
function metricsIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // range selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*(\([^)]*\))?/g, " "); // groupings
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith("(") || promqlWords.has(m[0].toLowerCase())) continue;
    if (/^\d+[smhdwy]$/.test(m[0])) continue;
    names.push(m[0]);
  }
  return [...new Set(names)];
}
