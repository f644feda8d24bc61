/**
 * The run's database: a fresh database on the server at DATABASE_URL (dropped afterwards),
 * or an embedded PGlite in a child process. Either way freshly migrated and empty.
 */
import { join } from "node:path";
import { createSql } from "@trainer2/db";
import { migrate } from "@trainer2/db/migrate";
import { onCleanup } from "./cleanup.ts";
import { type Child, startChild, stopChild } from "./processes.ts";

export type BenchDatabase = {
  url: string;
  kind: "postgres" | "embedded";
  /** The embedded database's process (for its RSS); none for a server. */
  child?: Child;
  stop: () => Promise<void>;
};

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function onServer(serverUrl: string): Promise<BenchDatabase> {
  const name = `trainer2_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = createSql(serverUrl, { max: 1 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const stop = onCleanup(async () => {
    const dropper = createSql(serverUrl, { max: 1 });
    try {
      await dropper.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await dropper.end({ timeout: 5 });
    }
  });
  const url = withDatabase(serverUrl, name);
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
  return { url, kind: "postgres", stop };
}

async function embedded(repoRoot: string, env: Record<string, string>): Promise<BenchDatabase> {
  const child = startChild("db", [process.execPath, join(import.meta.dir, "embedded-db-main.ts")], {
    cwd: repoRoot,
    env,
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`embedded database did not start:\n${child.tail()}`)),
      60_000,
    );
    child.onLine((line) => {
      if (!line.startsWith("{")) return;
      try {
        const parsed = JSON.parse(line) as { url?: unknown };
        if (typeof parsed.url === "string") {
          clearTimeout(timer);
          resolve(parsed.url);
        }
      } catch {}
    });
    child.process.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`embedded database exited:\n${child.tail()}`));
    });
  });
  return { url, kind: "embedded", child, stop: () => stopChild(child) };
}

export function startDatabase(
  serverUrl: string | undefined,
  repoRoot: string,
  env: Record<string, string>,
): Promise<BenchDatabase> {
  return serverUrl ? onServer(serverUrl) : embedded(repoRoot, env);
}
