/**
 * The realtime tests' stage: the real api on a fresh database with a scripted agent double
 * behind it, and signed-in sockets of fresh or named users.
 */
import type { ServerEvent } from "@trainer2/shared/wire";
import { type AgentDouble, startAgentDouble } from "./agent-double.ts";
import { startTestApi, type TestApi, type TestApiOptions } from "./index.ts";
import { openSocket, type TestSocket } from "./test-socket.ts";

export type RealtimeStage = {
  api: TestApi;
  agent: AgentDouble;
  /**
   * A socket signed in as `who` (a subject; an email when it has an @), ready. Each test
   * its own user by default, so tests do not interfere.
   */
  signedIn(who?: string): Promise<{
    socket: TestSocket;
    ready: Extract<ServerEvent, { type: "ready" }>;
    token: string;
    email: string;
  }>;
  /** An HTTP request to the api as a signed-in person would send it (JSON body, Bearer token). */
  call(method: string, path: string, token: string | null, body?: unknown): Promise<Response>;
  close(): Promise<void>;
};

export async function startRealtimeStage(options: TestApiOptions = {}): Promise<RealtimeStage> {
  const api = await startTestApi(options);
  const agent = await startAgentDouble({ apiPublicKey: api.keys.apiPublicKey });
  api.setAgentUrl(agent.url);
  return {
    api,
    agent,
    async signedIn(who = `${crypto.randomUUID()}@example.com`) {
      const email = who.includes("@") ? who : `${who}@example.com`;
      const token = await api.identity.mintIdToken({ sub: who, email });
      const socket = await openSocket(`${api.wsUrl}?token=${token}`);
      const ready = await socket.next("ready");
      return { socket, ready, token, email };
    },
    call: (method, path, token, body) =>
      fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined
          ? {}
          : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    async close() {
      await api.close();
      await agent.close();
    },
  };
}
