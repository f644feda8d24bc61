/**
 * Where the db tools find a database when DATABASE_URL is unset: the embedded server that
 * `bun dev` is running (it records its URL in `.data/embedded.json`), or, when none runs,
 * an embedded server started here on the same data folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded.ts";

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
