/**
 * Several api processes on one real Postgres behind Debian's nginx (the repo's proxy
 * config), with a scripted agent double they all call: the stage of the replica tests.
 */
import { type AgentDouble, startAgentDouble } from "@trainer2/api/testing/agent-double";
import { openSocket, type TestSocket } from "@trainer2/api/testing/test-socket";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import { type Nginx, startNginx } from "./nginx.ts";
import { realPostgresServer } from "./postgres-cluster.ts";
import type { Service } from "./service.ts";
import { createStack, type Stack } from "./stack.ts";

export type Replicas = {
  stack: Stack;
  apis: Service[];
  nginx: Nginx;
  agent: AgentDouble;
  /** A dev-login id_token for `email` (the processes accept dev login). */
  tokenFor(email: string): Promise<string>;
  /** A ready socket of `email` through nginx, or straight to `api` when given. */
  connect(email: string, api?: Service): Promise<TestSocket>;
  close(): Promise<void>;
};

export async function startReplicas(options: { count: number; env?: Record<string, string> }) {
  const server = await realPostgresServer();
  const stack = await createStack({
    database: { kind: "fresh", serverUrl: server.url, migrateInPlace: true },
  });
  const agent = await startAgentDouble({ apiPublicKey: stack.keys.apiPublicKey });
  const apis: Service[] = [];
  let nginx: Nginx | undefined;
  const close = async () => {
    await nginx?.stop();
    await stack.close();
    await agent.close();
    await server.close();
  };
  try {
    for (let i = 0; i < options.count; i++)
      apis.push(
        await stack.startApiProcess({
          agentUrl: agent.url,
          env: { STREAM_CHECKPOINT_MS: "20", ...options.env },
        }),
      );
    nginx = await startNginx(apis.map((api) => api.port));
  } catch (error) {
    await close();
    throw error;
  }
  const key = await importPrivateKey(stack.keys.devLoginPrivateKey);
  const tokenFor = async (email: string) =>
    (await signDevIdToken({ email, name: email.split("@")[0]! }, key)).idToken;
  const proxy = nginx;
  return {
    stack,
    apis,
    nginx: proxy,
    agent,
    tokenFor,
    async connect(email: string, api?: Service) {
      const base = api ? `${api.url.replace(/^http/, "ws")}/realtime` : proxy.wsUrl;
      const socket = await openSocket(`${base}?token=${await tokenFor(email)}`);
      await socket.next("ready");
      return socket;
    },
    close,
  } satisfies Replicas;
}
