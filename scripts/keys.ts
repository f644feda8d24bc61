/** `bun run keys`: generate missing dev keys into the git-ignored .env.dev (never printed). */
import { relative } from "node:path";
import { devKeysPath, ensureDevKeys, repoRoot } from "./lib/keys.ts";

const { keys, generated } = await ensureDevKeys();
const where = relative(repoRoot, devKeysPath);
console.log(
  generated > 0
    ? `generated ${generated} dev key value(s) into ${where} (${Object.keys(keys).length} in all)`
    : `${where} already holds every dev key`,
);
