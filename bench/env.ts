/**
 * The benchmark's environment: the only bench module that reads `process.env`. Children get
 * a small, explicit environment (plus PATH/HOME so Bun behaves), never the caller's secrets.
 */
import {
  blankAsUnset,
  loadEnvOrExit,
  parseEnv,
  port,
  postgresUrl,
  url,
} from "@trainer2/shared/config";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: blankAsUnset(postgresUrl.optional()),
  PATH: z.string().default("/usr/local/bin:/usr/bin:/bin"),
  HOME: z.string().default("/tmp"),
});

export type BenchEnv = z.infer<typeof schema>;

export function readBenchEnv(): BenchEnv {
  return parseEnv(schema, process.env);
}

/** What every child process inherits from the bench's own environment. */
export function baseChildEnv(env: BenchEnv): Record<string, string> {
  return { PATH: env.PATH, HOME: env.HOME, NODE_ENV: "production" };
}

const floorSchema = z.object({
  PORT: port(0),
  DATABASE_URL: postgresUrl,
  MODEL_BASE_URL: url,
  /** How the relay calls the model: `fetch` (the floor) or `agents-sdk` (the SDK's floor). */
  FLOOR_MODEL_CLIENT: z
    .enum(["fetch", "agents-sdk"], { message: "expected fetch or agents-sdk" })
    .default("fetch"),
});

/** The floor relay's environment (bench/floor/relay.ts), given by the bench. */
export function readFloorEnv() {
  return loadEnvOrExit("floor", floorSchema, process.env);
}
