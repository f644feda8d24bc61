/**
 * Throwaway databases for tests. With DATABASE_URL (CI), or a server named by the caller: a
 * fresh database on that server per call, created from a migrated template. Without either:
 * a fresh in-memory PGlite on a loopback socket, copied from a migrated snapshot.
 */
import { createSql, type Sql } from "../client.ts";
import { snapshotEmbedded, startEmbeddedPostgres } from "../embedded.ts";
import { readDbEnv } from "../env.ts";
import { checksumOf, migrate, readMigrations } from "../migrate.ts";

export type TestDatabase = {
  url: string;
  sql: Sql;
  embedded: boolean;
  close: () => Promise<void>;
};

const migrationsFingerprint = () =>
  checksumOf(
    readMigrations()
      .map((file) => file.checksum)
      .join(","),
  ).slice(0, 12);

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** One migrated template per server, built once per process. */
const templates = new Map<string, Promise<string>>();

async function ensureTemplate(serverUrl: string): Promise<string> {
  const name = `trainer2_tpl_${migrationsFingerprint()}`;
  const admin = createSql(serverUrl, { max: 1 });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const building = `${name}_${process.pid}_${Date.now()}`;
      await admin.unsafe(`create database "${building}"`);
      const sql = createSql(withDatabase(serverUrl, building), { max: 2 });
      try {
        await migrate(sql);
      } finally {
        await sql.end();
      }
      // Rename into place: another process may have won the race, which is fine.
      await admin.unsafe(`alter database "${building}" rename to "${name}"`).catch(async () => {
        await admin.unsafe(`drop database if exists "${building}"`);
      });
    }
  } finally {
    await admin.end();
  }
  return name;
}

async function createOnServer(
  serverUrl: string,
  options: TestDatabaseOptions,
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  const fromTemplate = migrated && !options.migrateInPlace;
  let template = "template1";
  if (fromTemplate) {
    if (!templates.has(serverUrl)) templates.set(serverUrl, ensureTemplate(serverUrl));
    template = await templates.get(serverUrl)!;
  }
  const name = `trainer2_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = createSql(serverUrl, { max: 1 });
  await admin.unsafe(`create database "${name}" template "${template}"`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const sql = createSql(url, { max: options.max ?? 10 });
  const database: TestDatabase = {
    url,
    sql,
    embedded: false,
    close: async () => {
      await sql.end({ timeout: 5 });
      const cleanup = createSql(serverUrl, { max: 1 });
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await cleanup.end();
    },
  };
  if (migrated && !fromTemplate) await migrate(sql).catch(dropAndThrow(database));
  return database;
}

const dropAndThrow = (database: TestDatabase) => async (error: unknown) => {
  await database.close();
  throw error;
};

let snapshot: Promise<Blob | File> | undefined;

async function createEmbedded(options: TestDatabaseOptions): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  if (migrated) {
    snapshot ??= snapshotEmbedded(async (url) => {
      const sql = createSql(url, { max: 2 });
      try {
        await migrate(sql);
      } finally {
        await sql.end();
      }
    });
  }
  const server = await startEmbeddedPostgres(migrated ? { loadDataDir: await snapshot! } : {});
  const sql = createSql(server.url, { max: options.max ?? 10 });
  return {
    url: server.url,
    sql,
    embedded: true,
    close: async () => {
      await sql.end({ timeout: 5 });
      await server.stop();
    },
  };
}

export type TestDatabaseOptions = {
  /** Apply the repo's migrations (default true). False gives an empty database. */
  migrated?: boolean;
  /** Pool size of the returned `sql`. */
  max?: number;
  /** The Postgres server to create it on (default: DATABASE_URL, else embedded). */
  serverUrl?: string;
  /**
   * On a server, migrate the new database itself instead of copying a template kept there:
   * slower, but leaves nothing behind on a server that is not the test machine's own.
   */
  migrateInPlace?: boolean;
};

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? readDbEnv().DATABASE_URL;
  return serverUrl ? createOnServer(serverUrl, options) : createEmbedded(options);
}

/** A bare `users` row for tests of the tables that hang off a user; returns its id. */
export async function createTestUser(sql: Sql, subject: string = crypto.randomUUID()) {
  const [row] = await sql<{ id: string }[]>`
    insert into users (issuer, subject) values ('test', ${subject}) returning id`;
  return row!.id;
}

/**
 * An api process row standing in for the one that writes a test's streaming answer. An answer
 * that no live process writes is an orphan, and any api on the database ends it as interrupted
 * at its next sweep (once it has been up for its `staleMs`): a test that stores a run as the api
 * would, then plays the agent, lost it to the sweep whenever a busy machine made it slower than
 * that. This owner stays alive for an hour, on no host (so no pid of it is looked for).
 */
export async function standInOwner(sql: Sql): Promise<string> {
  const id = crypto.randomUUID();
  await sql`
    insert into api_processes (id, host, pid, seen_at)
    values (${id}, 'a test stand-in', 0, now() + interval '1 hour')`;
  return id;
}
