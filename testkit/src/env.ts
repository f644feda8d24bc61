/** What the test kit reads from its environment: the only testkit module that reads it. */
import { blankAsUnset, parseEnv, postgresUrl } from "@trainer2/shared/config";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: blankAsUnset(postgresUrl.optional()),
  PATH: z.string().default("/usr/local/bin:/usr/bin:/bin:/usr/sbin"),
  HOME: z.string().default("/tmp"),
});

export type TestkitEnv = z.infer<typeof schema>;

export const testkitEnv = (): TestkitEnv => parseEnv(schema, process.env);

/** The whole environment, for a child that should see what this process sees (next build). */
export const inheritedEnv = (): Record<string, string | undefined> => ({ ...process.env });
