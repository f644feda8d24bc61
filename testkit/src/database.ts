/**
 * The stack's database, for whoever asks: a fresh migrated test database (on DATABASE_URL's
 * server, on a server named here, or in-memory PGlite), PGlite in a child process of its own
 * (the bench: load on this process must never delay the database), or an existing database
 * used as it is.
 */
import { join } from "node:path";
import { createSql } from "@trainer2/db";
import { createTestDatabase, type TestDatabase } from "@trainer2/db/testing";
import { type Child, startChild, stopChild } from "@trainer2/shared/processes";
import { repoRoot } from "./paths.ts";

export type DatabaseChoice =
  /** See `createTestDatabase`: dropped (or discarded) on close. */
  | { kind: "fresh"; serverUrl?: string; migrateInPlace?: boolean; max?: number }
  /** A migrated in-memory PGlite served by a child process; gone on close. */
  | { kind: "embedded-process"; max?: number }
  /** Someone else's database: neither migrated nor dropped here. */
  | { kind: "existing"; url: string; max?: number };

/** A test database, plus the child process that serves it when it has one (for its RSS). */
export type StackDatabase = TestDatabase & { child?: Child };

const startTimeoutMs = 60_000;

export async function openDatabase(
  choice: DatabaseChoice,
  childEnv: Record<string, string>,
): Promise<StackDatabase> {
  switch (choice.kind) {
    case "fresh": {
      const { kind: _, ...options } = choice;
      return createTestDatabase(options);
    }
    case "existing": {
      const sql = createSql(choice.url, { max: choice.max ?? 10 });
      return { url: choice.url, sql, embedded: false, close: () => sql.end({ timeout: 5 }) };
    }
    case "embedded-process":
      return embeddedProcess(choice.max ?? 10, childEnv);
  }
}

async function embeddedProcess(max: number, env: Record<string, string>): Promise<StackDatabase> {
  const child = startChild({
    name: "db",
    command: [process.execPath, join(import.meta.dir, "embedded-db-main.ts")],
    cwd: repoRoot,
    env,
    stopGraceMs: 3000,
  });
  let url: string;
  try {
    url = await announcedUrl(child);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const sql = createSql(url, { max });
  return {
    url,
    sql,
    embedded: true,
    child,
    close: async () => {
      await sql.end({ timeout: 2 }).catch(() => {});
      await stopChild(child);
    },
  };
}

/** The URL the child prints, as one JSON line, once it serves a migrated database. */
function announcedUrl(child: Child): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`embedded database did not start:\n${child.tail()}`)),
      startTimeoutMs,
    );
    child.onLine((line) => {
      const url = urlIn(line);
      if (url === undefined) return;
      clearTimeout(timer);
      resolve(url);
    });
    void child.exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`embedded database exited:\n${child.tail()}`));
    });
  });
}

function urlIn(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(line) as { url?: unknown };
    return typeof parsed.url === "string" ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}
