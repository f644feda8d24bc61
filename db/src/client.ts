import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export type SqlOptions = {
  /** Pool size. Keep it below the embedded server's maxConnections. */
  max?: number;
  /** Seconds a connection attempt may take. */
  connectTimeout?: number;
};

/** One postgres.js pool with the defaults every service wants. */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 30,
    onnotice: () => {},
  });
}

/** True when the server behind `sql` is embedded PGlite (one shared backend, no real locks). */
export async function isEmbedded(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ version: string }[]>`select version()`;
  return /pglite|emscripten/i.test(row?.version ?? "");
}

/** Readiness probe that never throws. */
export async function ping(sql: Sql, timeoutMs = 2000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const query = sql`select 1`.then(
    () => true,
    () => false,
  );
  return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
}

/** Where a database URL points, without its credentials: fit for a log line. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "the database";
  }
}

/**
 * Resolves once the database answers, retrying with backoff (doubling up to `maxDelayMs`)
 * and saying each time what it waits for: a service started before its database (compose,
 * a restart of both) waits instead of exiting on the first refused connection.
 */
export async function waitForDatabase(
  sql: Sql,
  options: { onWait: (reason: string, retryInMs: number) => void; maxDelayMs?: number },
): Promise<void> {
  const maxDelayMs = options.maxDelayMs ?? 5000;
  for (let delay = 250; ; delay = Math.min(delay * 2, maxDelayMs)) {
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      options.onWait(error instanceof Error ? error.message : String(error), delay);
      await Bun.sleep(delay);
    }
  }
}
