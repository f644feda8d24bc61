/**
 * Where the db tools find a database when DATABASE_URL is unset: the embedded server that
 * `bun dev` is running (it records its URL in `.data/embedded.json`), or, when none runs,
 * an embedded server started here on the same data folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { createSql, type Sql } from "./client.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded.ts";
import { readDbEnv } from "./env.ts";

export const repoRoot = resolve(import.meta.dir, "../..");
export const defaultDataDir = join(repoRoot, ".data");

const runningRecord = z.object({ url: z.string(), pid: z.number().int() });

const recordPath = (dataDir: string) => join(dataDir, "embedded.json");
export const pgliteDir = (dataDir: string) => join(dataDir, "pglite");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The URL of an embedded server another process runs on this data folder, if any. */
export function findRunningEmbedded(dataDir = defaultDataDir): string | undefined {
  const path = recordPath(dataDir);
  if (!existsSync(path)) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined; // A torn write from a killed runner: nobody serves it.
  }
  const parsed = runningRecord.safeParse(record);
  if (parsed.success && isAlive(parsed.data.pid)) return parsed.data.url;
  return undefined;
}

/** Starts the embedded server on the data folder and records it for other tools. */
export async function startLocalEmbedded(
  options: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgres> {
  const dataDir = options.dataDir ?? defaultDataDir;
  const running = findRunningEmbedded(dataDir);
  if (running) {
    throw new Error(
      `the embedded database in ${dataDir} is already served at ${running} by another process`,
    );
  }
  const server = await startEmbeddedPostgres({
    dataDir: pgliteDir(dataDir),
    port: options.port ?? 0,
  });
  writeFileSync(recordPath(dataDir), JSON.stringify({ url: server.url, pid: process.pid }));
  return {
    ...server,
    stop: async () => {
      rmSync(recordPath(dataDir), { force: true });
      await server.stop();
    },
  };
}

/**
 * Runs a command-line tool's work on DATABASE_URL, else on the embedded database of `bun dev`
 * (the running one, or one started here on its data folder and stopped after). `where` says
 * which, for the tool's output; `embedded` is true for bun dev's database.
 */
export async function withToolDatabase<T>(
  work: (sql: Sql, where: string, embedded: boolean) => Promise<T>,
): Promise<T> {
  const { DATABASE_URL } = readDbEnv();
  let stop = async () => {};
  let url = DATABASE_URL ?? findRunningEmbedded();
  let where = DATABASE_URL ? "DATABASE_URL" : "the embedded database of bun dev";
  if (!url) {
    const embedded = await startLocalEmbedded();
    url = embedded.url;
    stop = embedded.stop;
    where = "the embedded database in .data/";
  }
  const sql = createSql(url, { max: 2 });
  try {
    return await work(sql, where, DATABASE_URL === undefined);
  } finally {
    await sql.end({ timeout: 5 });
    await stop();
  }
}
