/**
 * Embedded Postgres for `bun dev` and local tests: PGlite behind a Postgres wire socket on
 * loopback. Limits of PGlite 0.5 behind pglite-socket 0.2: every connection shares one
 * backend, so the socket's maxConnections must exceed every pool's `max` (the default of 1
 * hangs a pool), advisory locks exclude nothing, LISTEN/NOTIFY never crosses connections,
 * and a query on a second connection waits while a transaction is open on another.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { serialiseProtocolCycles } from "./embedded-queue.ts";

export type EmbeddedPostgres = {
  url: string;
  port: number;
  stop: () => Promise<void>;
};

export type EmbeddedOptions = {
  /** Folder for the data; in memory when omitted. */
  dataDir?: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  maxConnections?: number;
  /** A dump made by `dumpDataDir` to start from (fast fresh copies in tests). */
  loadDataDir?: Blob | File;
};

export async function startEmbeddedPostgres(
  options: EmbeddedOptions = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const host = options.host ?? "127.0.0.1";
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 64,
  });
  serialiseProtocolCycles(server);
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = Number(server.getServerConn().split(":").at(-1));
  return {
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    port,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** A snapshot of a database, to start fresh embedded copies from without re-migrating. */
export async function snapshotEmbedded(
  prepare: (url: string) => Promise<void>,
): Promise<Blob | File> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  serialiseProtocolCycles(server);
  await server.start();
  try {
    const port = Number(server.getServerConn().split(":").at(-1));
    await prepare(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
  } finally {
    await server.stop();
  }
  const dump = await db.dumpDataDir("none");
  await db.close();
  return dump;
}
