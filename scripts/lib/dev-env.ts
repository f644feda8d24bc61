/** Settings of `bun dev`, parsed once from the environment (and the root .env Bun loads). */

import { devBudgetDefaultsFor } from "@trainer2/api/budgets";
import { loadEnvOrExit, optionalString, port } from "@trainer2/shared/config";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: optionalString,
  API_PORT: port(8000),
  AGENT_PORT: port(9000),
  WEB_PORT: port(3000),
  /** Port of the embedded Postgres when DATABASE_URL is unset. */
  DEV_DB_PORT: port(5432),
  /** Folder for the embedded database and runner state. */
  DEV_DATA_DIR: optionalString,
  /** Seconds each service may take to answer /health at start (Next compiles on demand). */
  DEV_READY_TIMEOUT_S: z.coerce.number().positive().default(180),
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  /** Set: the dev login is off by default, as with Google. */
  OIDC_ISSUER: optionalString,
  AUTH_DEV_LOGIN: optionalString,
  OPENAI_API_KEY: optionalString,
});

export type DevEnv = z.infer<typeof schema>;

export const readDevEnv = (): DevEnv => loadEnvOrExit("dev", schema, process.env);

/**
 * The api's budgets under `bun dev`: generous limits where the environment (or .env) sets
 * none, so the state panel shows its bar; a value given there always wins, 0 included.
 */
export const devApiBudgets = (env: Record<string, string | undefined>) => devBudgetDefaultsFor(env);
