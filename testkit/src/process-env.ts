/**
 * What each service the stack starts as a child process is told: the environment `bun dev`
 * would give it, with the stack's database and keys, on the stack's ports.
 */
import { offlineModelName } from "@trainer2/agent/offline-model";
import type { TestApiKeys } from "@trainer2/api/testing";

export type Env = Record<string, string>;

/** Logs go to a pipe that is always drained: info lines per sign-in would cost the service. */
const quiet = { LOG_LEVEL: "warn" };

export function apiEnv(
  keys: TestApiKeys,
  where: { port: number; databaseUrl: string; agentUrl: string },
): Env {
  return {
    PORT: String(where.port),
    DATABASE_URL: where.databaseUrl,
    AGENT_URL: where.agentUrl,
    API_PRIVATE_KEY: keys.apiPrivateKey,
    API_PUBLIC_KEY: keys.apiPublicKey,
    AGENT_PUBLIC_KEY: keys.agentPublicKey,
    AUTH_DEV_LOGIN: "true",
    // The children run with NODE_ENV=production, where dev login needs saying twice.
    AUTH_DEV_LOGIN_IN_PRODUCTION: "true",
    DEV_LOGIN_PUBLIC_KEY: keys.devLoginPublicKey,
    ...quiet,
  };
}

/** Without `modelBaseUrl` the agent runs its own offline model, as `bun dev` does. */
export function agentEnv(
  keys: TestApiKeys,
  where: { port: number; apiUrl: string; modelBaseUrl?: string },
): Env {
  return {
    PORT: String(where.port),
    API_URL: where.apiUrl,
    AGENT_PRIVATE_KEY: keys.agentPrivateKey,
    API_PUBLIC_KEY: keys.apiPublicKey,
    ...quiet,
    ...(where.modelBaseUrl
      ? {
          // A key and a base URL make the agent treat the standalone offline model as "OpenAI".
          OPENAI_API_KEY: "testkit-not-a-secret",
          OPENAI_BASE_URL: where.modelBaseUrl,
          OPENAI_MODEL: offlineModelName,
          OPENAI_API: "chat_completions",
        }
      : {}),
  };
}

export function modelEnv(where: { port: number; delayMs: number }): Env {
  return {
    PORT: String(where.port),
    HOST: "127.0.0.1",
    OFFLINE_MODEL_DELAY_MS: String(where.delayMs),
  };
}
