/**
 * Every command the README names answers `--help` with its usage and exit 0, and does nothing
 * else: `bun dev --help` starts no stack, `bun run keys --help` writes no key, `bun run bench
 * --help` measures nothing (it once answered with a stack trace).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runCommand } from "@trainer2/shared/testing/run-command";

setDefaultTimeout(60_000);

const repoRoot = join(import.meta.dir, "..");

const commands: Record<string, string[]> = {
  dev: ["dev", "--help"],
  keys: ["run", "keys", "--help"],
  "db:migrate": ["run", "db:migrate", "--help"],
  admin: ["run", "admin", "--help"],
  "admin budget": ["run", "admin", "budget", "--help"],
  bench: ["run", "bench", "--help"],
  eval: ["run", "eval", "--help"],
};

describe("--help", () => {
  for (const [name, args] of Object.entries(commands))
    test(`bun ${args.slice(0, -1).join(" ")}`, async () => {
      const { code, stdout, stderr } = await runCommand(["bun", ...args], {
        cwd: repoRoot,
        // A DATABASE_URL nobody listens on: a command that reached for the database would fail.
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATABASE_URL: "postgres://x@127.0.0.1:9/x",
        },
      });
      expect({ name, code, stderr: stderr.includes("error") ? stderr : "" }).toEqual({
        name,
        code: 0,
        stderr: "",
      });
      expect(stdout).toContain("usage:");
    });
});
