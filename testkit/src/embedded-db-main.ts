/**
 * The embedded database as its own process: PGlite behind a loopback Postgres socket,
 * migrated, URL printed as one JSON line. It runs apart from the process that drives load
 * (the bench), so that load never delays the database's event loop (which would be billed to
 * the api).
 */
import { createSql } from "@trainer2/db";
import { startEmbeddedPostgres } from "@trainer2/db/embedded";
import { migrate } from "@trainer2/db/migrate";

const embedded = await startEmbeddedPostgres({ maxConnections: 64 });
const sql = createSql(embedded.url, { max: 1 });
await migrate(sql);
await sql.end({ timeout: 5 });
console.log(JSON.stringify({ url: embedded.url }));

const stop = async () => {
  await embedded.stop().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
