/**
 * The stack under test, started by the test kit's launcher as real child processes on
 * 127.0.0.1: database, the offline model (standalone, zero delay), api and agent with fresh
 * keys. Each api/agent start is a cold-start sample; the last pair stays up for the scenarios.
 */
import type { Sql } from "@trainer2/db";
import { freePort } from "@trainer2/shared/processes";
import {
  createStack,
  type ModelService,
  type Service,
  type StackDatabase,
} from "@trainer2/testkit";
import { createMinter, type Minter } from "./tokens.ts";

export type Stack = {
  db: {
    kind: "postgres" | "embedded";
    /** The embedded database's process (for its CPU); none for a server. */
    child?: StackDatabase["child"];
  };
  /** The bench's own connection, for counting rows. */
  sql: Sql;
  model: Service;
  modelBaseUrl: string;
  api: Service;
  apiUrl: string;
  agent: Service;
  mint: Minter;
  coldStart: { apiMs: number[]; agentMs: number[] };
  /**
   * The floor relay (bench/floor/relay.ts) on the same database and model, and the same relay
   * calling the model through the Agents SDK (the SDK's own floor): started on first use, as
   * only the chat-latency scenario needs them.
   */
  floors: () => Promise<{ floor: Relay; sdkFloor: Relay }>;
  /** Another api and agent on the same database and model, the api with `apiEnv` set. */
  startVariant: (apiEnv: Record<string, string>) => Promise<Pair>;
  stop: () => Promise<void>;
};

/** A relay the stack is measured against: where its socket is, and its process (for CPU). */
export type Relay = { wsUrl: string; service: Service };

export type Pair = { api: Service; agent: Service; stop: () => Promise<void> };

type Launched = Awaited<ReturnType<typeof createStack>>;

/** Budgets off (the default), whatever a .env beside the bench says: variants turn them on. */
const budgetsOff = {
  BUDGET_DAILY_TOKENS: "0",
  BUDGET_TURNS_PER_MINUTE: "0",
  BUDGET_CONCURRENT_RUNS: "0",
};

/**
 * The per-person limits (README: Limits) out of the way: the bench is a few people on one
 * address driving one process as hard as it goes, which is what those limits exist to stop.
 */
const limitsOff = {
  RATE_LIMIT_PER_SECOND: "1000000",
  RATE_LIMIT_BURST: "10000000",
  REALTIME_MAX_UNAUTHENTICATED_PER_IP: "100000",
  // The idle-capacity climb spreads thousands of sockets over a few people.
  REALTIME_MAX_SOCKETS_PER_USER: "10000",
};

/** An api and its agent, each measured from spawn to its first 200 on /health. */
async function startPair(
  stack: Launched,
  model: ModelService,
  apiEnv: Record<string, string> = {},
) {
  // The api is told where its agent will be before the agent exists.
  const agentPort = await freePort();
  const api = await stack.startApiProcess({
    agentUrl: `http://127.0.0.1:${agentPort}`,
    env: { ...budgetsOff, ...limitsOff, ...apiEnv },
  });
  const agent = await stack.startAgentProcess({
    apiUrl: api.url,
    port: agentPort,
    modelBaseUrl: model.baseUrl,
  });
  return { api, agent };
}

export async function startStack(options: {
  databaseUrl: string | undefined;
  env: Record<string, string>;
  coldStartSamples: number;
  log: (line: string) => void;
}): Promise<Stack> {
  const { log } = options;
  const stack = await createStack({
    // A fresh database on the server, migrated in place and dropped afterwards; or PGlite in
    // a process of its own, so the load the bench drives never delays it.
    database: options.databaseUrl
      ? { kind: "fresh", serverUrl: options.databaseUrl, migrateInPlace: true, max: 2 }
      : { kind: "embedded-process", max: 2 },
    childEnv: options.env,
    // The number is the cold start itself: poll /health often.
    healthPollMs: 5,
  });
  try {
    const kind = stack.database.embedded ? "embedded" : "postgres";
    log(`database: ${kind}`);
    const model = await stack.startModelProcess({ delayMs: 0 });
    let floors: ReturnType<Stack["floors"]> | undefined;
    const coldStart = { apiMs: [] as number[], agentMs: [] as number[] };
    const samples = Math.max(1, options.coldStartSamples);
    for (let index = 0; ; index++) {
      const { api, agent } = await startPair(stack, model);
      coldStart.apiMs.push(api.startMs);
      coldStart.agentMs.push(agent.startMs);
      const [apiMs, agentMs] = [api.startMs.toFixed(0), agent.startMs.toFixed(0)];
      log(`cold start ${index + 1}/${samples}: api ${apiMs} ms, agent ${agentMs} ms`);
      if (index + 1 >= samples)
        return {
          db: { kind, ...(stack.database.child ? { child: stack.database.child } : {}) },
          sql: stack.database.sql,
          model,
          modelBaseUrl: model.baseUrl,
          api,
          apiUrl: api.url,
          agent,
          mint: await createMinter(stack.keys.devLoginPrivateKey),
          coldStart,
          floors: () => {
            floors ??= (async () => ({
              floor: await startFloor(stack, model.baseUrl, "fetch"),
              sdkFloor: await startFloor(stack, model.baseUrl, "agents-sdk"),
            }))();
            return floors;
          },
          startVariant: async (apiEnv) => {
            const pair = await startPair(stack, model, apiEnv);
            return {
              ...pair,
              stop: async () => {
                await pair.agent.stop();
                await pair.api.stop();
              },
            };
          },
          stop: () => stack.close(),
        };
      await agent.stop();
      await api.stop();
    }
  } catch (error) {
    await stack.close();
    throw error;
  }
}

/** A floor relay on the stack's database and model, stopped with the stack's children. */
async function startFloor(
  stack: Launched,
  modelBaseUrl: string,
  client: "fetch" | "agents-sdk",
): Promise<Relay> {
  const service = await stack.startScriptProcess(
    client === "agents-sdk" ? "sdk-floor" : "floor",
    "bench/floor/relay.ts",
    { DATABASE_URL: stack.database.url, MODEL_BASE_URL: modelBaseUrl, FLOOR_MODEL_CLIENT: client },
  );
  return { wsUrl: `${service.url.replace(/^http/, "ws")}/realtime`, service };
}
