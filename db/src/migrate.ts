/**
 * Forward-only SQL migrations: `migrations/NNNN_snake_name.sql`, applied in order, each in
 * its own transaction, recorded with a checksum. On real Postgres the whole run holds a
 * session advisory lock; every file's transaction also locks `schema_migrations` and
 * re-checks it, which keeps each file exactly-once on embedded PGlite too (its connections
 * share one backend, so advisory locks exclude nothing there, but transactions serialise).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isEmbedded, type Sql } from "./client.ts";

export const defaultMigrationsDir = resolve(import.meta.dir, "../migrations");

const fileNamePattern = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;
/** Any 64-bit constant unique to this purpose; `select hashtext('trainer2.migrate')`. */
const advisoryLockKey = 7_263_100_001;

export type MigrationFile = {
  version: number;
  name: string;
  filename: string;
  path: string;
  sql: string;
  checksum: string;
};

export type AppliedMigration = {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
};

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly filename?: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

export const checksumOf = (text: string) => createHash("sha256").update(text).digest("hex");

/** Every migration file in `dir`, in order; refuses stray names and duplicate numbers. */
export function readMigrations(dir = defaultMigrationsDir): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const filename of readdirSync(dir).sort()) {
    if (!filename.endsWith(".sql")) continue;
    const match = fileNamePattern.exec(filename);
    if (!match) {
      throw new MigrationError(
        `migration file name "${filename}" must look like NNNN_snake_name.sql`,
        filename,
      );
    }
    const version = Number(match[1]);
    const duplicate = files.find((file) => file.version === version);
    if (duplicate) {
      throw new MigrationError(
        `migrations ${duplicate.filename} and ${filename} share the number ${match[1]}`,
        filename,
      );
    }
    const path = join(dir, filename);
    const sql = readFileSync(path, "utf8");
    files.push({ version, name: match[2]!, filename, path, sql, checksum: checksumOf(sql) });
  }
  return files;
}

const createTableSql = `
  create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`;

async function tableExists(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`
    select to_regclass('schema_migrations') is not null as exists`;
  return row?.exists ?? false;
}

export async function listApplied(sql: Sql): Promise<AppliedMigration[]> {
  if (!(await tableExists(sql))) return [];
  const rows = await sql<{ version: number; name: string; checksum: string; applied_at: Date }[]>`
    select version, name, checksum, applied_at from schema_migrations order by version`;
  return rows.map((row) => ({
    version: row.version,
    name: row.name,
    checksum: row.checksum,
    appliedAt: new Date(row.applied_at).toISOString(),
  }));
}

/** Refuses edited or vanished applied migrations: history is forward-only. */
function verifyHistory(files: MigrationFile[], applied: AppliedMigration[]) {
  for (const record of applied) {
    const file = files.find((candidate) => candidate.version === record.version);
    const label = `${String(record.version).padStart(4, "0")}_${record.name}.sql`;
    if (!file) {
      throw new MigrationError(
        `applied migration ${label} is missing from the migrations folder`,
        label,
      );
    }
    if (file.checksum !== record.checksum) {
      throw new MigrationError(
        `migration ${file.filename} was changed after it was applied (checksum differs); ` +
          "add a new migration instead of editing an applied one",
        file.filename,
      );
    }
  }
}

export type MigrateResult = { applied: MigrationFile[]; embedded: boolean };

export async function migrate(
  sql: Sql,
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const files = readMigrations(options.dir);
  const log = options.log ?? (() => {});
  const embedded = await isEmbedded(sql);
  const conn = await sql.reserve();
  const applied: MigrationFile[] = [];
  try {
    if (!embedded) await conn`select pg_advisory_lock(${advisoryLockKey})`;
    try {
      await conn.unsafe(createTableSql);
      verifyHistory(files, await listApplied(conn));
      for (const file of files) {
        if (await applyOne(conn, file)) {
          applied.push(file);
          log(`applied ${file.filename}`);
        }
      }
    } finally {
      if (!embedded) await conn`select pg_advisory_unlock(${advisoryLockKey})`.catch(() => {});
    }
  } finally {
    conn.release();
  }
  return { applied, embedded };
}

/** Applies one file in its own transaction unless already recorded; true when applied. */
async function applyOne(conn: Sql, file: MigrationFile): Promise<boolean> {
  await conn`begin`;
  try {
    await conn`lock table schema_migrations in exclusive mode`;
    const [done] = await conn`select 1 from schema_migrations where version = ${file.version}`;
    if (done) {
      await conn`commit`;
      return false;
    }
    await conn.unsafe(file.sql).simple();
    await conn`
      insert into schema_migrations (version, name, checksum)
      values (${file.version}, ${file.name}, ${file.checksum})`;
    await conn`commit`;
    return true;
  } catch (error) {
    await conn`rollback`.catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${file.filename} failed: ${message}`, file.filename);
  }
}

export type MigrationStatus = {
  applied: AppliedMigration[];
  pending: MigrationFile[];
};

export async function migrationStatus(sql: Sql, dir?: string): Promise<MigrationStatus> {
  const files = readMigrations(dir);
  const applied = await listApplied(sql);
  verifyHistory(files, applied);
  const done = new Set(applied.map((record) => record.version));
  return { applied, pending: files.filter((file) => !done.has(file.version)) };
}

/** Drops every object in `public` (the schema migrations own) and migrates from scratch. */
export async function resetDatabase(
  sql: Sql,
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  await sql.unsafe("drop schema if exists public cascade; create schema public;").simple();
  return migrate(sql, options);
}

/** Writes the next numbered, empty migration file and returns its path. */
export function newMigration(description: string, dir = defaultMigrationsDir): string {
  const slug = description
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!slug) throw new MigrationError(`"${description}" has no letters or digits to name a file`);
  const files = readMigrations(dir);
  const next = (files.at(-1)?.version ?? 0) + 1;
  if (next > 9999) throw new MigrationError("migration numbers are exhausted (9999)");
  const filename = `${String(next).padStart(4, "0")}_${slug}.sql`;
  const path = join(dir, filename);
  writeFileSync(path, `-- ${description}\n`, { flag: "wx" });
  return path;
}
