/**
 * The stack under test, started as real child processes on 127.0.0.1: database, the offline
 * model (standalone, zero delay), api and agent with fresh keys. Each api/agent start is a
 * cold-start sample; the last pair stays up for the scenarios.
 */
import { resolve } from "node:path";
import { createSql, type Sql } from "@trainer2/db";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { type BenchDatabase, startDatabase } from "./database.ts";
import {
  type Child,
  freePort,
  startChild,
  stopAllChildren,
  stopChild,
  waitForHealthy,
} from "./processes.ts";
import { createMinter, type Minter } from "./tokens.ts";

export const repoRoot = resolve(import.meta.dir, "../..");
export const offlineModelName = "trainer2-offline";
const startTimeoutMs = 60_000;

export type Stack = {
  db: BenchDatabase;
  /** The bench's own connection, for counting rows. */
  sql: Sql;
  model: Child;
  modelBaseUrl: string;
  api: Child;
  apiUrl: string;
  agent: Child;
  mint: Minter;
  coldStart: { apiMs: number[]; agentMs: number[] };
  stop: () => Promise<void>;
};

type Keys = Record<"api" | "agent" | "devLogin", { privateKey: string; publicKey: string }>;

async function startPair(
  keys: Keys,
  dbUrl: string,
  modelBaseUrl: string,
  env: Record<string, string>,
) {
  const [apiPort, agentPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = startChild("api", [process.execPath, "api/src/index.ts"], {
    cwd: repoRoot,
    env: {
      ...env,
      PORT: String(apiPort),
      DATABASE_URL: dbUrl,
      AGENT_URL: `http://127.0.0.1:${agentPort}`,
      API_PRIVATE_KEY: keys.api.privateKey,
      API_PUBLIC_KEY: keys.api.publicKey,
      AGENT_PUBLIC_KEY: keys.agent.publicKey,
      AUTH_DEV_LOGIN: "true",
      DEV_LOGIN_PUBLIC_KEY: keys.devLogin.publicKey,
      // Logs go to a pipe the bench drains; info-level lines per sign-in would be billed to it.
      LOG_LEVEL: "warn",
    },
  });
  const apiMs = await waitForHealthy(api, `${apiUrl}/health`, startTimeoutMs);
  const agent = startChild("agent", [process.execPath, "agent/src/index.ts"], {
    cwd: repoRoot,
    env: {
      ...env,
      PORT: String(agentPort),
      API_URL: apiUrl,
      AGENT_PRIVATE_KEY: keys.agent.privateKey,
      API_PUBLIC_KEY: keys.api.publicKey,
      // A key and base URL make the agent treat the standalone offline model as "OpenAI".
      OPENAI_API_KEY: "bench-not-a-secret",
      OPENAI_BASE_URL: modelBaseUrl,
      OPENAI_MODEL: offlineModelName,
      OPENAI_API: "chat_completions",
      LOG_LEVEL: "warn",
    },
  });
  const agentMs = await waitForHealthy(
    agent,
    `http://127.0.0.1:${agentPort}/health`,
    startTimeoutMs,
  );
  return { api, apiUrl, agent, apiMs, agentMs };
}

export async function startStack(options: {
  databaseUrl: string | undefined;
  env: Record<string, string>;
  coldStartSamples: number;
  log: (line: string) => void;
}): Promise<Stack> {
  const { env, log } = options;
  let db: BenchDatabase | undefined;
  let sql: Sql | undefined;
  try {
    db = await startDatabase(options.databaseUrl, repoRoot, env);
    log(`database: ${db.kind}`);
    sql = createSql(db.url, { max: 2 });
    const [api, agent, devLogin] = await Promise.all([
      generatePemKeyPair(),
      generatePemKeyPair(),
      generatePemKeyPair(),
    ]);
    const keys: Keys = { api, agent, devLogin };
    const modelPort = await freePort();
    const model = startChild("model", [process.execPath, "agent/src/offline-model/main.ts"], {
      cwd: repoRoot,
      env: { ...env, PORT: String(modelPort), HOST: "127.0.0.1", OFFLINE_MODEL_DELAY_MS: "0" },
    });
    await waitForHealthy(model, `http://127.0.0.1:${modelPort}/health`, startTimeoutMs);
    const modelBaseUrl = `http://127.0.0.1:${modelPort}/v1`;
    const coldStart = { apiMs: [] as number[], agentMs: [] as number[] };
    const samples = Math.max(1, options.coldStartSamples);
    for (let index = 0; ; index++) {
      const pair = await startPair(keys, db.url, modelBaseUrl, env);
      coldStart.apiMs.push(pair.apiMs);
      coldStart.agentMs.push(pair.agentMs);
      log(
        `cold start ${index + 1}/${samples}: api ${pair.apiMs.toFixed(0)} ms, agent ${pair.agentMs.toFixed(0)} ms`,
      );
      if (index + 1 >= samples) {
        const database = db;
        const ownSql = sql;
        return {
          db: database,
          sql: ownSql,
          model,
          modelBaseUrl,
          api: pair.api,
          apiUrl: pair.apiUrl,
          agent: pair.agent,
          mint: await createMinter(keys.devLogin.privateKey),
          coldStart,
          stop: async () => {
            await ownSql.end({ timeout: 2 }).catch(() => {});
            await stopAllChildren();
            await database.stop().catch(() => {});
          },
        };
      }
      await stopChild(pair.agent);
      await stopChild(pair.api);
    }
  } catch (error) {
    await sql?.end({ timeout: 2 }).catch(() => {});
    await stopAllChildren();
    await db?.stop().catch(() => {});
    throw error;
  }
}
