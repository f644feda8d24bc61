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
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs));
  const query = sql`select 1`.then(
    () => true,
    () => false,
  );
  return Promise.race([query, timeout]);
}
