/**
 * The stack as deployed, from the test kit: a real Postgres cluster (so a fault can stop it
 * with `-m immediate`), two api processes behind the repo's nginx config, two agents (each
 * api calls its own; both call the api through nginx), the standalone offline model with a
 * per-token delay, budgets and approvals on. Loopback only; closed as a whole.
 */

import { freePort } from "@trainer2/shared/processes";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import { createStack, type ModelService, type Service, type Stack } from "@trainer2/testkit";
import { type Nginx, startNginx } from "@trainer2/testkit/nginx";
import { type PostgresCluster, startPostgresCluster } from "@trainer2/testkit/postgres-cluster";

/** Small limits, so budgets and expiries are met within a short run. */
export const chaosLimits = {
  dailyTokens: 60_000,
  maxOutputTokens: 600,
  concurrentRuns: 2,
  turnsPerMinute: 40,
  approvalTimeoutS: 6,
  modelDelayMs: 4,
};

export type Stage = {
  cluster: PostgresCluster;
  stack: Stack;
  model: ModelService;
  apis: Service[];
  agents: Service[];
  nginx: Nginx;
  tokenFor(email: string): Promise<string>;
  close(): Promise<void>;
};

const apiEnv = {
  STREAM_CHECKPOINT_MS: "100",
  APPROVAL_TIMEOUT_S: String(chaosLimits.approvalTimeoutS),
  BUDGET_DAILY_TOKENS: String(chaosLimits.dailyTokens),
  BUDGET_MAX_OUTPUT_TOKENS: String(chaosLimits.maxOutputTokens),
  BUDGET_CONCURRENT_RUNS: String(chaosLimits.concurrentRuns),
  BUDGET_TURNS_PER_MINUTE: String(chaosLimits.turnsPerMinute),
};

/** Stages not closed yet: Ctrl-C closes them (closeOpenStages). */
const open = new Set<() => Promise<void>>();

/** Every child, nginx and Postgres cluster of the stages still open stopped, temp dirs gone. */
export async function closeOpenStages(): Promise<void> {
  await Promise.all([...open].map((close) => close()));
}

export async function startStage(): Promise<Stage> {
  // Two api processes, two agents, the test's own pool and the bus: room for all of them.
  const cluster = await startPostgresCluster({ settings: { max_connections: "300" } });
  const parts: Partial<Stage> = { cluster };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await parts.nginx?.stop().catch(() => {});
      await parts.stack?.close();
      await cluster.destroy();
      open.delete(close);
    })();
    return closing;
  };
  open.add(close);
  try {
    const stack = await createStack({
      database: { kind: "fresh", serverUrl: cluster.url, migrateInPlace: true },
    });
    parts.stack = stack;
    const model = await stack.startModelProcess({ delayMs: chaosLimits.modelDelayMs });
    // Each api is told its agent's port before the agent exists: agents sync through nginx.
    const agentPorts = [await freePort(), await freePort()];
    const apis: Service[] = [];
    for (const port of agentPorts)
      apis.push(await stack.startApiProcess({ agentUrl: `http://127.0.0.1:${port}`, env: apiEnv }));
    const nginx = await startNginx(apis.map((api) => api.port));
    parts.nginx = nginx;
    const agents: Service[] = [];
    for (const port of agentPorts)
      agents.push(
        await stack.startAgentProcess({ port, apiUrl: nginx.url, modelBaseUrl: model.baseUrl }),
      );
    const key = await importPrivateKey(stack.keys.devLoginPrivateKey);
    const tokenFor = async (email: string) =>
      (await signDevIdToken({ email, name: email.split("@")[0]! }, key)).idToken;
    return { cluster, stack, model, apis, agents, nginx, tokenFor, close };
  } catch (error) {
    await close();
    throw error;
  }
}
