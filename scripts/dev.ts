/**
 * `bun dev`: dev keys, a database (embedded PGlite unless DATABASE_URL is set), migrations,
 * then api, agent and web with reload, until Ctrl-C stops every child. A service that
 * crashes after it was ready is started again (with backoff, said in its output); one that
 * cannot start at all stops `bun dev` with the reason.
 */
import { type FSWatcher, watch } from "node:fs";
import { join } from "node:path";
import { createSql } from "@trainer2/db";
import type { EmbeddedPostgres } from "@trainer2/db/embedded";
import { defaultDataDir, startLocalEmbedded } from "@trainer2/db/local";
import { migrate } from "@trainer2/db/migrate";
import { helpRequested } from "@trainer2/shared/config";
import { serverRuntimeFlags } from "@trainer2/shared/http";
import {
  type ChildSpec,
  type Keeper,
  keepRunning,
  killAllChildrenNow,
  portIsFree,
  prefixedPrinter,
  waitForHealth,
} from "@trainer2/shared/processes";
import { type DevEnv, devApiBudgets, readDevEnv } from "./lib/dev-env.ts";
import { ensureDevKeys, repoRoot } from "./lib/keys.ts";

/** A child service of `bun dev` on its fixed port. */
type ServiceSpec = ChildSpec & { port: number };

if (helpRequested(Bun.argv.slice(2), true)) {
  console.log(`usage: bun dev
  Starts everything on this machine: dev keys (into .env.dev), the database (embedded
  Postgres under .data/ unless DATABASE_URL is set), migrations, then api :8000, agent :9000
  and web :3000 with reload, until Ctrl-C. No keys needed: the offline dev model unless
  OPENAI_API_KEY is set, the dev login unless Google or OIDC credentials are set.
  Settings (environment or .env): DATABASE_URL, API_PORT, AGENT_PORT, WEB_PORT, DEV_DB_PORT,
  DEV_DATA_DIR, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, GOOGLE_CLIENT_ID,
  GOOGLE_CLIENT_SECRET, OIDC_ISSUER, AUTH_DEV_LOGIN, BUDGET_* (see README.md).`);
  process.exit(0);
}

const say = prefixedPrinter("dev");
const env = readDevEnv();
const services = new Map<string, Keeper>();
const watchers: FSWatcher[] = [];
let embedded: EmbeddedPostgres | undefined;
let stopping = false;

let stopRequestedAt = 0;

async function shutdown(code: number): Promise<void> {
  if (stopping) {
    // `bun run` forwards the terminal's Ctrl-C, so one press arrives twice: only a later
    // second press means "stop now".
    if (Date.now() - stopRequestedAt < 1000) return;
    say("stopping now");
    killAllChildrenNow();
    process.exit(code);
  }
  stopping = true;
  stopRequestedAt = Date.now();
  say("stopping…");
  for (const watcher of watchers) watcher.close();
  await Promise.all([...services.values()].map((service) => service.stop()));
  await embedded?.stop().catch(() => {});
  say(code === 0 ? "stopped" : "stopped after an error");
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function prepareDatabase(): Promise<string> {
  let url = env.DATABASE_URL;
  if (!url) {
    if (!(await portIsFree(env.DEV_DB_PORT))) {
      throw new Error(
        `port ${env.DEV_DB_PORT} (embedded Postgres) is taken: stop what uses it, set DEV_DB_PORT, ` +
          "or set DATABASE_URL to use that server",
      );
    }
    embedded = await startLocalEmbedded({
      dataDir: env.DEV_DATA_DIR ?? defaultDataDir,
      port: env.DEV_DB_PORT,
    });
    url = embedded.url;
    say(`embedded Postgres (PGlite) at ${url}`);
  }
  const sql = createSql(url, { max: 2 });
  try {
    const { applied } = await migrate(sql, { log: (line) => say(line) });
    say(applied.length ? `${applied.length} migration(s) applied` : "database is up to date");
  } finally {
    await sql.end({ timeout: 5 });
  }
  return url;
}

function serviceSpecs(devEnv: DevEnv, shared: Record<string, string | undefined>): ServiceSpec[] {
  const realSignIn = devEnv.GOOGLE_CLIENT_ID || devEnv.OIDC_ISSUER;
  const devLogin = devEnv.AUTH_DEV_LOGIN ?? (realSignIn ? "false" : "true");
  const apiUrl = `http://localhost:${devEnv.API_PORT}`;
  const webUrl = `http://localhost:${devEnv.WEB_PORT}`;
  return [
    {
      name: "api",
      onLine: prefixedPrinter("api"),
      command: [process.execPath, ...serverRuntimeFlags, "api/src/index.ts"],
      cwd: repoRoot,
      port: devEnv.API_PORT,
      env: {
        ...shared,
        ...devApiBudgets(shared),
        PORT: String(devEnv.API_PORT),
        AGENT_URL: `http://127.0.0.1:${devEnv.AGENT_PORT}`,
        WEB_ORIGIN: webUrl,
        AUTH_DEV_LOGIN: devLogin,
      },
    },
    {
      name: "agent",
      onLine: prefixedPrinter("agent"),
      command: [process.execPath, ...serverRuntimeFlags, "agent/src/index.ts"],
      cwd: repoRoot,
      port: devEnv.AGENT_PORT,
      env: {
        ...shared,
        PORT: String(devEnv.AGENT_PORT),
        API_URL: `http://127.0.0.1:${devEnv.API_PORT}`,
      },
    },
    {
      name: "web",
      onLine: prefixedPrinter("web"),
      command: [join(repoRoot, "node_modules/.bin/next"), "dev", "--port", String(devEnv.WEB_PORT)],
      cwd: join(repoRoot, "web"),
      port: devEnv.WEB_PORT,
      env: {
        ...shared,
        PORT: String(devEnv.WEB_PORT),
        NEXT_PUBLIC_API_URL: apiUrl,
        WEB_ORIGIN: webUrl,
        AUTH_DEV_LOGIN: devLogin,
        NEXT_TELEMETRY_DISABLED: "1",
      },
    },
  ];
}

/** Folders whose changes restart a service (Next reloads itself). */
const watched: Record<string, string[]> = {
  api: ["api/src", "shared/src", "db/src", "db/migrations"],
  agent: ["agent/src", "agent/instructions", "shared/src"],
};

function watchAndRestart(spec: ServiceSpec) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = async () => {
    if (stopping) return;
    say(`restarting ${spec.name}`);
    await services.get(spec.name)?.replace();
  };
  for (const folder of watched[spec.name] ?? []) {
    const watcher = watch(join(repoRoot, folder), { recursive: true }, (_event, file) => {
      if (!file || file.endsWith(".test.ts")) return;
      clearTimeout(timer);
      timer = setTimeout(() => void restart(), 200);
    });
    watchers.push(watcher);
  }
}

const healthUrl = (spec: ServiceSpec) => `http://127.0.0.1:${spec.port}/health`;

async function main() {
  const { keys, generated } = await ensureDevKeys();
  if (generated > 0) say(`generated ${generated} dev key value(s) into .env.dev`);
  const databaseUrl = await prepareDatabase();
  const shared = {
    ...process.env,
    ...keys,
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl,
  };
  const specs = serviceSpecs(env, shared);
  for (const spec of specs) {
    if (!(await portIsFree(spec.port))) {
      throw new Error(
        `port ${spec.port} for ${spec.name} is taken: stop what uses it or set ${spec.name.toUpperCase()}_PORT`,
      );
    }
  }
  const timeoutMs = env.DEV_READY_TIMEOUT_S * 1000;
  for (const spec of specs)
    services.set(
      spec.name,
      keepRunning({ spec, healthUrl: healthUrl(spec), say, startTimeoutMs: timeoutMs }),
    );
  await Promise.all(
    specs.map(async (spec) => {
      try {
        const { status } = await waitForHealth(
          services.get(spec.name)!.current(),
          healthUrl(spec),
          // Its output is printed as it comes: the error need not quote it again.
          { timeoutMs, pollMs: 300, quoteTail: false },
        );
        say(`${spec.name} answers /health (${status}) on http://localhost:${spec.port}`);
      } catch (error) {
        throw new Error(`${(error as Error).message}; see its output above`);
      }
    }),
  );
  for (const spec of specs) watchAndRestart(spec);
  say(
    `ready: web http://localhost:${env.WEB_PORT} · api http://localhost:${env.API_PORT} · agent http://localhost:${env.AGENT_PORT}`,
  );
}

main().catch(async (error) => {
  say(`error: ${(error as Error).message}`);
  await shutdown(1);
});
