/**
 * Users are identities: one row per (issuer, subject). The first valid token of an identity
 * creates the row and an empty profile; later tokens refresh name, email and picture.
 */
import type { Sql, TransactionSql } from "../client.ts";

export type Queryable = Sql | TransactionSql;

/** Timestamps arrive as Date (postgres.js default parser) or text; the wire wants ISO 8601. */
export function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** A json(b) column: parsed by Postgres' driver, or text from some (PGlite's socket). */
export function fromJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

export type IdentityClaims = {
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  picture: string | null;
};

export type UserRecord = {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  picture: string | null;
  createdAt: string;
  updatedAt: string;
};

export type UserRow = {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  picture: string | null;
  created_at: Date | string;
  updated_at: Date | string;
};

export const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  issuer: row.issuer,
  subject: row.subject,
  email: row.email,
  name: row.name,
  picture: row.picture,
  createdAt: toIso(row.created_at),
  updatedAt: toIso(row.updated_at),
});

export async function findUserByIdentity(
  sql: Queryable,
  issuer: string,
  subject: string,
): Promise<UserRecord | null> {
  const [row] = await sql<UserRow[]>`
    select * from users where issuer = ${issuer} and subject = ${subject}`;
  return row ? toUser(row) : null;
}

const sameDetails = (user: UserRecord, claims: IdentityClaims) =>
  user.email === claims.email && user.name === claims.name && user.picture === claims.picture;

/**
 * The user behind a verified identity, created on first sight. Most requests only read:
 * the write happens on first sign-in or when the identity's details changed. Concurrent
 * first requests are safe: `on conflict` makes the insert an update for the loser.
 */
export async function upsertUserFromIdentity(
  sql: Sql,
  claims: IdentityClaims,
): Promise<{ user: UserRecord; created: boolean }> {
  const existing = await findUserByIdentity(sql, claims.issuer, claims.subject);
  if (existing && sameDetails(existing, claims)) return { user: existing, created: false };
  return sql.begin(async (tx) => {
    const [row] = await tx<(UserRow & { inserted: boolean })[]>`
      insert into users (issuer, subject, email, name, picture)
      values (${claims.issuer}, ${claims.subject}, ${claims.email}, ${claims.name}, ${claims.picture})
      on conflict (issuer, subject) do update
        set email = excluded.email, name = excluded.name, picture = excluded.picture,
            updated_at = now()
      returning *, (xmax = 0) as inserted`;
    if (!row) throw new Error("upsert returned no row");
    await tx`insert into profiles (user_id) values (${row.id}) on conflict (user_id) do nothing`;
    return { user: toUser(row), created: row.inserted };
  });
}

/** Users whose email is `email` (any case): one per identity, so possibly several. */
export async function findUsersByEmail(sql: Queryable, email: string): Promise<UserRecord[]> {
  const rows = await sql<UserRow[]>`
    select * from users where lower(email) = lower(${email}) order by created_at`;
  return rows.map(toUser);
}
