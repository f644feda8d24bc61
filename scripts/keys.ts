/** `bun run keys`: generate missing dev keys into the git-ignored .env.dev (never printed). */
import { relative } from "node:path";
import { helpRequested } from "@trainer2/shared/config";
import { devKeysPath, ensureDevKeys, repoRoot } from "./lib/keys.ts";

if (helpRequested(Bun.argv.slice(2), true)) {
  console.log(`usage: bun run keys
  Generates the dev keys that are missing (api, agent, dev login, NextAuth secret) into the
  git-ignored .env.dev, never printing them. Keys already there are kept; \`bun dev\` runs this
  too.`);
  process.exit(0);
}

const { keys, generated } = await ensureDevKeys();
const where = relative(repoRoot, devKeysPath);
console.log(
  generated > 0
    ? `generated ${generated} dev key value(s) into ${where} (${Object.keys(keys).length} in all)`
    : `${where} already holds every dev key`,
);
