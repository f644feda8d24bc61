import { blankAsUnset, parseEnv, postgresUrl } from "@trainer2/shared/config";
import { z } from "zod";

const schema = z.object({ DATABASE_URL: blankAsUnset(postgresUrl.optional()) });

/** The database the db tools and test helpers use; undefined means "use the embedded one". */
export function readDbEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(schema, source);
}
