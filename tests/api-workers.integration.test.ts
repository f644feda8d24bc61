/**
 * API_WORKERS=N: one command, N api processes on one port (SO_REUSEPORT), each a full
 * process among its peers, kept running when one crashes. On the embedded database the api
 * runs one process and says why.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { freePort, portIsFree } from "@trainer2/shared/processes";
import { createStack, type Stack } from "@trainer2/testkit";
import { realPostgresServer } from "@trainer2/testkit/postgres-cluster";

setDefaultTimeout(90_000);

let server: { url: string; close(): Promise<void> };
let stack: Stack;

beforeAll(async () => {
  server = await realPostgresServer();
  stack = await createStack({
    database: { kind: "fresh", serverUrl: server.url, migrateInPlace: true },
  });
});
afterAll(async () => {
  await stack?.close();
  await server?.close();
});

/** The process that answers /health on a fresh connection, many times over. */
async function answering(url: string, times: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${url}/health`, { headers: { connection: "close" } });
    seen.add(((await response.json()) as { process: string }).process);
  }
  return seen;
}

async function registered(): Promise<string[]> {
  const rows = await stack.database.sql<{ id: string }[]>`select id from api_processes`;
  return rows.map((row) => row.id);
}

/** `count` consecutive free ports: METRICS_PORT, then one per worker. */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, i) => portIsFree(base + i + 1)),
    );
    if (rest.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

describe("API_WORKERS", () => {
  test("two workers share one port, each registered; a crashed one is started again", async () => {
    const api = await stack.startApiProcess({ env: { API_WORKERS: "2" } });
    const workers = await until(async () => {
      const ids = await registered();
      return ids.length === 2 ? ids : undefined;
    }, "two registered workers");
    const seen = await until(async () => {
      const answered = await answering(api.url, 20);
      return answered.size === 2 ? answered : undefined;
    }, "both workers to answer");
    expect([...seen].sort()).toEqual([...workers].sort());

    // kill -9 one worker (not the parent): it is started again, as a new process.
    const [victim] = workers;
    const [row] = await stack.database.sql<{ pid: number }[]>`
      select pid from api_processes where id = ${victim!}`;
    process.kill(row!.pid, "SIGKILL");
    await api.waitForLine(/api-1 exited|api-2 exited/);
    const after = await until(async () => {
      const ids = await registered();
      return ids.length === 2 && !ids.includes(victim!) ? ids : undefined;
    }, "a new worker in place of the killed one").catch(async (error) => {
      const rows = await stack.database.sql`select id, pid, seen_at, now() from api_processes`;
      throw new Error(`${error.message}\n${JSON.stringify(rows)}\n${api.tail()}`);
    });
    expect(after).toContain(workers.find((id) => id !== victim)!);
    await api.stop();
  });

  test("on the embedded database the api runs one process and says why", async () => {
    const embedded = await createStack({ database: { kind: "embedded-process" } });
    try {
      const api = await embedded.startApiProcess({ env: { API_WORKERS: "2" } });
      await api.waitForLine(/embedded database serves one api process/);
      expect((await answering(api.url, 5)).size).toBe(1);
    } finally {
      await embedded.close();
    }
  });

  test("METRICS_PORT: /metrics leaves the main port (404, one shape); every worker is scraped merged there and alone on METRICS_PORT + N", async () => {
    const base = await freePorts(3);
    const api = await stack.startApiProcess({
      env: { API_WORKERS: "2", METRICS_PORT: String(base) },
    });
    try {
      const merged = await until(async () => {
        const text = await fetch(`http://127.0.0.1:${base}/metrics`).then((r) => r.text());
        return /worker="1"/.test(text) && /worker="2"/.test(text) ? text : undefined;
      }, "both workers in the merged /metrics");
      // One family, one TYPE line, both workers' samples (the format wants them together).
      expect(merged.match(/^# TYPE ws_connections_open /gm)).toHaveLength(1);
      expect(merged).toMatch(/^ws_connections_open\{[^}]*worker="1"\} /m);
      expect(merged).toMatch(/^ws_connections_open\{[^}]*worker="2"\} /m);
      for (const index of [1, 2]) {
        const own = await fetch(`http://127.0.0.1:${base + index}/metrics`);
        expect(own.status).toBe(200);
        expect(await own.text()).toContain("# TYPE ws_connections_open gauge");
      }
      // The main port (the one a proxy passes on) no longer has them, whichever worker answers.
      for (let i = 0; i < 6; i++) {
        const main = await fetch(`${api.url}/metrics`, { headers: { connection: "close" } });
        expect(main.status).toBe(404);
        expect(((await main.json()) as { error: { code: string } }).error.code).toBe("not_found");
      }
    } finally {
      await api.stop();
    }
  });

  test("METRICS_PORT with one process: /metrics there, 404 on the main port; unset, on the main port", async () => {
    const metricsPort = await freePort();
    const alone = await stack.startApiProcess({ env: { METRICS_PORT: String(metricsPort) } });
    try {
      const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(await own.text()).toContain("# TYPE ws_connections_open gauge");
      const elsewhere = await fetch(`http://127.0.0.1:${metricsPort}/health`);
      expect(elsewhere.status).toBe(404);
      expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe(
        "not_found",
      );
      expect((await fetch(`${alone.url}/metrics`)).status).toBe(404);
    } finally {
      await alone.stop();
    }
    // The seed README's contract for `bun dev`: without METRICS_PORT, /metrics is on PORT.
    const plain = await stack.startApiProcess();
    try {
      expect(await (await fetch(`${plain.url}/metrics`)).text()).toContain("ws_connections_open");
    } finally {
      await plain.stop();
    }
  });
});
