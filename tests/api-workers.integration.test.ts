/**
 * API_WORKERS=N: one command, N api processes on one port (SO_REUSEPORT), each a full
 * process among its peers, kept running when one crashes. On the embedded database the api
 * runs one process and says why.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
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
});
