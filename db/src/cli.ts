/**
 * `bun run db:migrate | db:new "name" | db:status | db:reset [--yes]`.
 * Uses DATABASE_URL, else the embedded database of `bun dev` (running or not).
 */
import { helpRequested } from "@trainer2/shared/config";
import { withToolDatabase as withDatabase } from "./local.ts";
import {
  MigrationError,
  migrate,
  migrationStatus,
  newMigration,
  resetDatabase,
} from "./migrate.ts";

const usage = `usage:
  bun run db:migrate          apply pending migrations
  bun run db:new "add thing"  create the next numbered migration file
  bun run db:status           list applied and pending migrations
  bun run db:reset [--yes]    drop everything and migrate again`;

async function confirm(question: string): Promise<boolean> {
  process.stdout.write(`${question} [y/N] `);
  for await (const line of console) {
    return /^y(es)?$/i.test(line.trim());
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (helpRequested(argv, true)) {
    console.log(usage);
    return 0;
  }
  switch (command) {
    case "migrate":
      return withDatabase(async (sql, where) => {
        const { applied } = await migrate(sql, { log: (line) => console.log(line) });
        console.log(
          applied.length
            ? `${applied.length} migration(s) applied to ${where}`
            : `${where} is up to date`,
        );
        return 0;
      });
    case "new": {
      const description = rest.join(" ").trim();
      if (!description) {
        console.error('db:new needs a name, e.g. bun run db:new "add workouts"');
        return 2;
      }
      console.log(newMigration(description));
      return 0;
    }
    case "status":
      return withDatabase(async (sql, where) => {
        const { applied, pending } = await migrationStatus(sql);
        console.log(`database: ${where}`);
        for (const row of applied) {
          console.log(
            `  applied  ${String(row.version).padStart(4, "0")}_${row.name}.sql  ${row.appliedAt}`,
          );
        }
        for (const file of pending) console.log(`  pending  ${file.filename}`);
        console.log(`${applied.length} applied, ${pending.length} pending`);
        return 0;
      });
    case "reset": {
      const yes = rest.includes("--yes") || rest.includes("-y");
      if (!yes) {
        if (!process.stdin.isTTY) {
          console.error("db:reset drops every table; pass --yes to confirm when not at a terminal");
          return 2;
        }
        if (!(await confirm("This drops every table and all data. Continue?"))) {
          console.log("nothing changed");
          return 1;
        }
      }
      return withDatabase(async (sql, where) => {
        const { applied } = await resetDatabase(sql, { log: (line) => console.log(line) });
        console.log(`${where} reset; ${applied.length} migration(s) applied`);
        return 0;
      });
    }
    default:
      console.error(command ? `unknown command "${command}"\n${usage}` : usage);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof MigrationError) console.error(`error: ${error.message}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
