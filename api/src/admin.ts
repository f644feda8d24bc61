/**
 * `bun run admin <command>`: the owner's tools, on DATABASE_URL, else the embedded database
 * of `bun dev` (running or not). Commands: `budget` (see budgets/admin-command.ts).
 * Limits that follow the defaults are read from this environment (and .env), as the api
 * reads them; on bun dev's database, with the defaults bun dev gives the api.
 */
import { withToolDatabase } from "@trainer2/db/local";
import { EnvError, helpRequested } from "@trainer2/shared/config";
import {
  budgetCommand,
  budgetUsage,
  parseBudgetArgs,
  UsageError,
} from "./budgets/admin-command.ts";
import { adminBudgetSettings } from "./env.ts";

const usage = `usage: bun run admin <command>\n\n${budgetUsage}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (helpRequested(argv) || (command === "budget" && helpRequested(rest, true))) {
    console.log(usage);
    return 0;
  }
  if (command !== "budget") {
    console.error(command ? `unknown command "${command}"\n${usage}` : usage);
    return 2;
  }
  let args: ReturnType<typeof parseBudgetArgs>;
  try {
    args = parseBudgetArgs(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${budgetUsage}`);
    return 2;
  }
  return withToolDatabase(async (sql, where, embedded) => {
    const settings = adminBudgetSettings(embedded);
    console.log(`database: ${where}`);
    return budgetCommand(sql, args, settings, (line) => console.log(line));
  });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof EnvError) console.error(error.message);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
