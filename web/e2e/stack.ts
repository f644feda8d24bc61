/**
 * The whole product on loopback for browser tests: the real api (fresh database), the real
 * agent on the offline dev model, and this web app built once and served by `next start`.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { startTestAgent, waitUntilReady } from "@trainer2/agent/testing";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { runCommand } from "@trainer2/shared/testing/run-command";

const webDir = join(import.meta.dir, "..");
const nextBin = join(webDir, "..", "node_modules", "next", "dist", "bin", "next");

/** The origin the browser sees. The api allows it (CORS), as with `bun dev`. */
export const webOrigin = "http://localhost:3000";

export type Stack = {
  api: TestApi;
  /** Where `next start` really listens; the browser maps webOrigin onto it. */
  webPort: number;
  agentUrl: string;
  close(): Promise<void>;
};

function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function run(args: string[], env: Record<string, string>, what: string) {
  const { stdout, stderr, code } = await runCommand(["node", nextBin, ...args], {
    cwd: webDir,
    env: { ...process.env, ...env },
  });
  if (code !== 0)
    throw new Error(`${what} failed (exit ${code}):\n${(stdout + stderr).slice(-4000)}`);
}

/** `next build`, once per test run: the run always tests the sources as they are now. */
export async function buildWeb() {
  await run(["build"], { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" }, "next build");
}

async function waitForHealth(url: string, server: { exitCode: number | null }, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited:\n${log()}`);
    const response = await fetch(`${url}/health`).catch(() => undefined);
    if (response?.ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`next start did not answer /health:\n${log()}`);
}

export async function startStack(options: { offlineDelayMs: number }): Promise<Stack> {
  const [api] = await Promise.all([startTestApi({ devLogin: true }), buildWeb()]);
  const closers: Array<() => Promise<unknown>> = [() => api.close()];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const agent = await startTestAgent({
      apiUrl: api.url,
      apiPublicKey: api.keys.apiPublicKey,
      agentPrivateKey: api.keys.agentPrivateKey,
      offlineDelayMs: options.offlineDelayMs,
    });
    closers.push(() => agent.close());
    api.setAgentUrl(agent.url);
    await waitUntilReady(agent);

    const webPort = freePort();
    let output = "";
    const server = Bun.spawn(
      ["node", nextBin, "start", "--port", String(webPort), "--hostname", "127.0.0.1"],
      {
        cwd: webDir,
        env: {
          ...process.env,
          // bun test sets NODE_ENV=test; next start must run as production.
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
          NEXT_PUBLIC_API_URL: api.url,
          NEXTAUTH_URL: webOrigin,
          NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
          AUTH_DEV_LOGIN: "true",
          DEV_LOGIN_PRIVATE_KEY: api.keys.devLoginPrivateKey,
          GOOGLE_CLIENT_ID: "",
          GOOGLE_CLIENT_SECRET: "",
        },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    closers.push(async () => {
      server.kill();
      await server.exited;
    });
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const reader = stream.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        output += decoder.decode(value, { stream: true });
      }
    };
    void collect(server.stdout);
    void collect(server.stderr);
    await waitForHealth(`http://127.0.0.1:${webPort}`, server, () => output);
    return { api, webPort, agentUrl: agent.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
