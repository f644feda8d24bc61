import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { descendantsOf, freePort, isRunning } from "@trainer2/shared/processes";
import { runCommand } from "@trainer2/shared/testing/run-command";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const repoRoot = resolve(import.meta.dir, "..");

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    // Each check is a loopback fetch or a string search: cheap enough to ask often, and each
    // wait ends when its answer comes, not up to half a second later.
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The command line of a process, as /proc has it (arguments joined by spaces). */
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
};

const answers = (url: string) => () =>
  fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    () => true,
    () => false,
  );

type Ports = { api: number; agent: number; web: number; db: number };

/** The environment of a `bun dev` on free ports, the embedded database and no model key. */
async function devEnvironment(overrides: Partial<Ports> = {}, extra: Record<string, string> = {}) {
  const [api, agent, web, db] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const ports: Ports = { api, agent, web, db, ...overrides };
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    API_PORT: String(ports.api),
    AGENT_PORT: String(ports.agent),
    WEB_PORT: String(ports.web),
    DEV_DB_PORT: String(ports.db),
    DEV_DATA_DIR: dataDir,
    ...extra,
  };
  delete env.DATABASE_URL;
  delete env.OPENAI_API_KEY;
  return { ports, env };
}

const runToExit = (env: Record<string, string>) =>
  runCommand(["bun", "run", "dev"], { cwd: repoRoot, env, detached: true });

let output = "";
let runner: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), "trainer2-dev-"));

afterAll(() => {
  if (runner?.pid) {
    try {
      process.kill(-runner.pid, "SIGKILL");
    } catch {}
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("bun dev", () => {
  test("starts every service on the embedded database and Ctrl-C stops them all", async () => {
    const { ports, env } = await devEnvironment();
    const { api, agent, web } = ports;
    // Its own process group, like a terminal's foreground job, so SIGINT goes to the group.
    runner = spawn("bun", ["run", "dev"], { cwd: repoRoot, env, detached: true, stdio: "pipe" });
    runner.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    runner.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((done) => runner!.on("exit", (code) => done(code)));

    try {
      for (const port of [api, agent, web]) {
        await waitFor(answers(`http://127.0.0.1:${port}/health`), 240_000, `/health on ${port}`);
      }
      await waitFor(() => Promise.resolve(output.includes("ready:")), 60_000, "the ready line");
      for (const port of [api, agent, web]) {
        expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      }
      expect(output).toContain("embedded Postgres");
      expect(output).toMatch(/api +\| /);

      // The api crashes after it was ready: bun dev says so and starts it again.
      const apiPid = descendantsOf(runner.pid!).find((pid) =>
        commandOf(pid).includes("api/src/index.ts"),
      );
      expect(apiPid).toBeDefined();
      process.kill(apiPid!, "SIGKILL");
      await waitFor(
        () => Promise.resolve(/api exited \(SIGKILL\); restarting in/.test(output)),
        30_000,
        "the restart line",
      );
      await waitFor(() => Promise.resolve(output.includes("api is back")), 60_000, "api back");
      expect((await fetch(`http://127.0.0.1:${api}/health`)).status).toBe(200);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- bun dev output ---\n${output}`);
    }

    const tree = descendantsOf(runner.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    process.kill(-runner.pid!, "SIGINT");
    await exited;
    await waitFor(async () => tree.every((pid) => !isRunning(pid)), 20_000, "children to exit");
    expect(tree.filter(isRunning)).toEqual([]);
    // The runner's last words may still be in the pipe when its parent `bun run` has exited.
    await waitFor(() => Promise.resolve(/\| stopped\n/.test(output)), 10_000, "the stopped line");
  }, 300_000);

  test("a taken port stops start-up with a clear message and a non-zero exit", async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, () => done()));
    const address = blocker.address();
    const taken = typeof address === "object" && address ? address.port : 0;
    const { env } = await devEnvironment({ web: taken });
    try {
      const { stdout, code } = await runToExit(env);
      expect(code).toBe(1);
      expect(stdout).toContain(`port ${taken} for web is taken`);
    } finally {
      blocker.close();
    }
  });

  test("a service that dies at start stops everything with its reason and a non-zero exit", async () => {
    // Every service refuses to start with an invalid setting and names it.
    const { env } = await devEnvironment({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" });
    const { stdout, code } = await runToExit(env);
    expect(code).toBe(1);
    expect(stdout).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
    expect(stdout).toMatch(/(api|agent) exited with 1 during start/);
    expect(stdout).toContain("stopped after an error");
  });
});
