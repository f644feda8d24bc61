/**
 * Debian's Prometheus scrapes the real api and agent: the repo's `otel/prometheus.yml` with its
 * compose targets (api:8000, agent:9000) rewritten to the test's loopback servers and a short
 * interval. After one chat turn, both targets must be up and every product metric the
 * dashboard reads must have samples in Prometheus itself (not just in /metrics text).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@trainer2/shared/processes";
import { type ChatStack, openChat, startStack } from "@trainer2/testkit";
import type { Subprocess } from "bun";
import { parse, stringify } from "yaml";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const root = resolve(import.meta.dir, "..");
/** `.ci/run` installs Debian's `prometheus` package; a developer may have it elsewhere. */
const prometheusBin =
  Bun.which("prometheus") ?? (existsSync("/usr/bin/prometheus") ? "/usr/bin/prometheus" : null);

type Target = { labels: { job: string }; health: string; lastError: string };
type Sample = { metric: Record<string, string>; value: [number, string] };
// biome-ignore lint/suspicious/noExplicitAny: the config is free-form YAML, edited field by field
type Any = any;

let stack: ChatStack;
let chat: Awaited<ReturnType<typeof openChat>> | undefined;
let prometheus: Subprocess | undefined;
let workDir: string;
let promUrl: string;
let promLog = "";

/** The repo's scrape config with each compose target swapped for a loopback address. */
async function loopbackConfig(targets: Record<string, string>): Promise<string> {
  const config: Any = parse(await readFile(join(root, "otel/prometheus.yml"), "utf8"));
  config.global.scrape_interval = "1s";
  config.global.evaluation_interval = "1s";
  for (const job of config.scrape_configs) {
    const target = targets[job.job_name];
    if (!target) throw new Error(`no loopback target for job ${job.job_name}`);
    job.scrape_timeout = "1s";
    // The api replicas are found by DNS in compose; here the one loopback api stands in.
    delete job.dns_sd_configs;
    job.static_configs = [{ targets: [target] }];
  }
  return stringify(config);
}

async function query(promql: string): Promise<Sample[]> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`query failed: ${promql}`);
  return body.data.result;
}

/** Polls until `check` returns a value; Prometheus needs a few scrapes after a change. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (prometheus?.exitCode !== null && prometheus?.exitCode !== undefined)
      throw new Error(`prometheus exited (${prometheus.exitCode}): ${promLog.slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(`${what} not seen in Prometheus in time (${String(lastError ?? "")})`);
    await Bun.sleep(250);
  }
}

beforeAll(async () => {
  if (!prometheusBin) return;
  stack = await startStack();
  workDir = await mkdtemp(join(tmpdir(), "trainer2-prometheus-"));
  const listen = `127.0.0.1:${await freePort()}`;
  promUrl = `http://${listen}`;
  const configPath = join(workDir, "prometheus.yml");
  await writeFile(
    configPath,
    await loopbackConfig({
      api: new URL(stack.api.url).host,
      agent: new URL(stack.agent.url).host,
      prometheus: listen,
    }),
  );
  prometheus = Bun.spawn(
    [
      prometheusBin,
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(workDir, "data")}`,
      `--web.listen-address=${listen}`,
      "--log.level=warn",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  // Kept for the failure message if Prometheus refuses to start.
  void new Response(prometheus.stderr as ReadableStream).text().then((text) => {
    promLog = text;
  });
}, 60_000);

afterAll(async () => {
  chat?.close();
  if (prometheus && prometheus.exitCode === null) {
    prometheus.kill("SIGTERM");
    const exited = await Promise.race([prometheus.exited, Bun.sleep(5000).then(() => "timeout")]);
    if (exited === "timeout") {
      prometheus.kill("SIGKILL");
      await prometheus.exited;
    }
  }
  await stack?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe("Prometheus scrapes the api and the agent", () => {
  test("both targets are up and every product metric has samples after a chat turn", async () => {
    // No silent pass: without the binary this test says how to get it.
    expect(prometheusBin ?? "prometheus is missing: apt-get install prometheus").toStartWith("/");
    // The socket stays open while Prometheus scrapes, so the gauge has something to show.
    chat = await openChat(stack.api);
    const events = await chat.turn("Please log a 30 minute run");
    expect(events.at(-1)?.type).toBe("run.completed");

    const targets = await eventually("api and agent targets up", async () => {
      const response = await fetch(`${promUrl}/api/v1/targets`);
      const body = (await response.json()) as { data: { activeTargets: Target[] } };
      const byJob = Object.fromEntries(
        body.data.activeTargets.map((t) => [t.labels.job, `${t.health} ${t.lastError}`.trim()]),
      );
      return byJob.api === "up" && byJob.agent === "up" ? byJob : undefined;
    });
    expect(targets).toMatchObject({ api: "up", agent: "up" });

    const value = (samples: Sample[]) => Number(samples[0]?.value[1]);
    const wanted: Record<string, (samples: Sample[]) => boolean> = {
      'up{job="api"}': (s) => value(s) === 1,
      'up{job="agent"}': (s) => value(s) === 1,
      'chat_turns_total{job="api",outcome="completed"}': (s) => value(s) >= 1,
      'chat_turn_duration_seconds_count{job="api"}': (s) => value(s) >= 1,
      'chat_time_to_first_token_seconds_count{job="api"}': (s) => value(s) >= 1,
      'chat_time_to_first_token_seconds_bucket{job="api",le="+Inf"}': (s) => value(s) >= 1,
      'tool_calls_total{job="api",tool="log_workout",outcome="ok"}': (s) => value(s) >= 1,
      'ws_connections_open{job="api"}': (s) => value(s) === 1,
      'model_tokens_total{job="agent",direction="output"}': (s) => value(s) > 0,
      'capability_syncs_total{job="agent",outcome="updated"}': (s) => value(s) >= 1,
      'capabilities_version_info{job="agent"}': (s) => value(s) === 1,
      'http_request_duration_seconds_count{job="api",route="/tools/:name",method="POST",status="200"}':
        (s) => value(s) >= 1,
      'http_request_duration_seconds_count{job="agent",route="/run",method="POST",status="200"}': (
        s,
      ) => value(s) >= 1,
      'http_request_duration_seconds_bucket{job="api",route="/capabilities",le="+Inf"}': (s) =>
        value(s) >= 1,
      'process_resident_memory_bytes{job="agent"}': (s) => value(s) > 0,
      // GenAI client metrics of the conventions, from the SDK's spans (per model call).
      'gen_ai_client_token_usage_sum{job="agent",gen_ai_token_type="input",gen_ai_operation_name="chat",gen_ai_provider_name="openai"}':
        (s) => value(s) > 0,
      'gen_ai_client_token_usage_sum{job="agent",gen_ai_token_type="output"}': (s) => value(s) > 0,
      'gen_ai_client_operation_duration_seconds_count{job="agent",gen_ai_operation_name="chat"}': (
        s,
      ) => value(s) >= 2,
      'gen_ai_client_operation_time_to_first_chunk_seconds_count{job="agent"}': (s) =>
        value(s) >= 2,
      'tool_call_duration_seconds_count{job="agent",tool="log_workout",outcome="ok"}': (s) =>
        value(s) >= 1,
    };
    for (const [promql, ok] of Object.entries(wanted)) {
      const samples = await eventually(promql, async () => {
        const result = await query(promql);
        return result.length > 0 && ok(result) ? result : undefined;
      });
      expect({ promql, ok: ok(samples) }).toEqual({ promql, ok: true });
    }

    // Route labels are templates: no raw path (a tool name, an id) ever became a series.
    const routes = await query("count by (route) (http_request_duration_seconds_count)");
    const names = routes.map((s) => s.metric.route).sort();
    expect(names.length).toBeGreaterThan(0);
    for (const route of names) expect(route).toMatch(/^(\/[a-z:]*)+$|^unmatched$/);
    expect(names).not.toContain("/tools/log_workout");
  }, 60_000);
});
