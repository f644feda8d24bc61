/**
 * The benchmark's environment: the only bench module that reads `process.env`. Children get
 * a small, explicit environment (plus PATH/HOME so Bun behaves), never the caller's secrets.
 */
import { blankAsUnset, postgresUrl } from "@trainer2/shared/config";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: blankAsUnset(postgresUrl.optional()),
  PATH: z.string().default("/usr/local/bin:/usr/bin:/bin"),
  HOME: z.string().default("/tmp"),
});

export type BenchEnv = z.infer<typeof schema>;

export function readBenchEnv(): BenchEnv {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(`bench: invalid environment: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** What every child process inherits from the bench's own environment. */
export function baseChildEnv(env: BenchEnv): Record<string, string> {
  return { PATH: env.PATH, HOME: env.HOME, NODE_ENV: "production" };
}

const floorSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535),
  DATABASE_URL: postgresUrl,
  MODEL_BASE_URL: z.url({ message: "expected the model's base URL" }),
  /** How the relay calls the model: `fetch` (the floor) or `agents-sdk` (the SDK's floor). */
  FLOOR_MODEL_CLIENT: z
    .enum(["fetch", "agents-sdk"], { message: "expected fetch or agents-sdk" })
    .default("fetch"),
});

/** The floor relay's environment (bench/floor/relay.ts), given by the bench. */
export function readFloorEnv() {
  const parsed = floorSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`floor: invalid environment: ${problems.join("; ")}`);
  }
  return parsed.data;
}
