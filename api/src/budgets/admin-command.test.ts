import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { settleBudget } from "@trainer2/db/queries/budgets";
import { createTestDatabase, type TestDatabase } from "@trainer2/db/testing";
import { createLogger } from "@trainer2/shared/logger";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { createAuthenticate } from "../auth/authenticate.ts";
import { createIdentityVerifier } from "../auth/identity.ts";
import { startTestIdentity } from "../testing/identity.ts";
import { parseBudgetArgs } from "./admin-command.ts";

setDefaultTimeout(60_000);

const repoRoot = join(import.meta.dir, "../../..");

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

async function person(email: string, issuer = "test") {
  const [row] = await db.sql<{ id: string }[]>`
    insert into users (issuer, subject, email, name)
    values (${issuer}, ${crypto.randomUUID()}, ${email}, 'Casey') returning id`;
  return row!.id;
}

/** `bun run admin …` on the test database, with these settings in its environment. */
const admin = (args: string[], env: Record<string, string> = {}) =>
  runCommand(["bun", "run", "admin", ...args], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: db.url,
      BUDGET_DAILY_TOKENS: "100000",
      BUDGET_TURNS_PER_MINUTE: "0",
      BUDGET_CONCURRENT_RUNS: "2",
      ...env,
    },
  });

describe("bun run admin budget", () => {
  test("shows a person's limits, where each comes from, and today's use with its cost", async () => {
    const userId = await person("Casey@Example.com");
    await settleBudget(db.sql, {
      runId: crypto.randomUUID(),
      userId,
      inputTokens: 1200,
      outputTokens: 300,
      costUsd: 0.0012,
      timeZone: "UTC",
    });
    const { stdout, code } = await admin(["budget", "casey@example.com"], {
      MODEL_PRICES: "gpt-4.1-mini=0.4/1.6",
    });
    expect(code).toBe(0);
    expect(stdout).toContain("Casey@Example.com (Casey; user");
    expect(stdout).toMatch(/daily tokens\s+100,000\s+default \(BUDGET_DAILY_TOKENS\)/);
    expect(stdout).toMatch(/turns per minute\s+unlimited\s+default/);
    expect(stdout).toMatch(/concurrent runs\s+2\s+default/);
    expect(stdout).toMatch(/1,500 tokens \(1,200 in, 300 out\) in 1 turn, est\. \$0\.0012/);
    expect(stdout).toContain("resets ");
    expect(stdout).toContain("left today: 98,500");
  });

  test("sets a person's limits, 0 for unlimited, and `default` to follow BUDGET_* again", async () => {
    const userId = await person("set@example.com");
    const set = await admin([
      "budget",
      "set@example.com",
      "--daily-tokens",
      "2000",
      "--turns-per-minute=5",
      "--concurrent-runs",
      "0",
    ]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/daily tokens\s+2,000\s+set for this person/);
    expect(set.stdout).toMatch(/turns per minute\s+5\s+set for this person/);
    expect(set.stdout).toMatch(/concurrent runs\s+unlimited\s+set for this person/);
    const back = await admin(["budget", "set@example.com", "--daily-tokens", "default"]);
    expect(back.stdout).toMatch(/daily tokens\s+100,000\s+default/);
    const [row] = await db.sql`
      select daily_tokens, turns_per_minute, concurrent_runs from budget_accounts
      where user_id = ${userId}`;
    expect(row).toEqual({ daily_tokens: null, turns_per_minute: 5, concurrent_runs: 0 });
  });

  test("says when budgets are off here, and when nobody has the email; a bad flag is named", async () => {
    await person("off@example.com");
    const off = await admin(["budget", "off@example.com"], {
      BUDGET_DAILY_TOKENS: "0",
      BUDGET_CONCURRENT_RUNS: "0",
    });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("Budgets are off here");
    const nobody = await admin(["budget", "nobody@example.com"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stdout).toContain("Nobody with the email nobody@example.com");
    const bad = await admin(["budget", "off@example.com", "--daily-tokens", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--daily-tokens: expected a whole number ≥ 0 or "default"');
  });
});

describe("one email, several people", () => {
  test("a change applies to one user: several with the email change nothing until --user picks one", async () => {
    const google = await person("Twin@example.com", "https://accounts.google.com");
    const other = await person("twin@example.com", "https://id.example.com");
    const refused = await admin(["budget", "twin@example.com", "--daily-tokens", "10"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      "2 users have the email twin@example.com; nothing was changed.",
    );
    expect(refused.stdout).toContain(`--user ${google}`);
    expect(refused.stdout).toContain(`--user ${other}`);
    const untouched = await db.sql`
      select 1 from budget_accounts where user_id in (${google}, ${other}) and daily_tokens is not null`;
    expect(untouched.length).toBe(0);

    const picked = await admin([
      "budget",
      "twin@example.com",
      "--user",
      other,
      "--daily-tokens",
      "10",
    ]);
    expect(picked.code).toBe(0);
    expect(picked.stdout).toContain("Changed the limits of 1 user.");
    const rows = await db.sql<{ user_id: string }[]>`
      select user_id from budget_accounts where user_id in (${google}, ${other}) and daily_tokens = 10`;
    expect(rows.map((row) => row.user_id)).toEqual([other]);
    // Showing needs no choice: both are listed.
    const shown = await admin(["budget", "twin@example.com"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(google);
    expect(shown.stdout).toContain(other);
  });
});

describe("only verified emails", () => {
  test("someone whose provider did not verify an address is not found by it; its owner, once verified, is", async () => {
    const provider = await startTestIdentity();
    try {
      const authenticate = createAuthenticate({
        sql: db.sql,
        verifyIdentity: createIdentityVerifier({
          oidc: { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: provider.audience },
        }),
        logger: createLogger({ service: "api", level: "silent" }),
      });
      const email = `${crypto.randomUUID()}@example.com`;
      // An impostor signs in claiming that address, unverified: they get an account, no email.
      const impostor = await authenticate(
        await provider.mintIdToken({ sub: "impostor", email, emailVerified: false }),
      );
      expect(impostor.user.email).toBeNull();
      const nobody = await admin(["budget", email, "--daily-tokens", "0"]);
      expect(nobody.code).toBe(1);
      expect(nobody.stdout).toContain(`Nobody with the email ${email} has signed in.`);
      const owner = await authenticate(await provider.mintIdToken({ sub: "owner", email }));
      const changed = await admin(["budget", email, "--daily-tokens", "0"]);
      expect(changed.code).toBe(0);
      expect(changed.stdout).toContain(owner.user.id);
    } finally {
      await provider.close();
    }
  });
});

describe("the command's arguments", () => {
  test("an email, then any of the three limits as a number, 0 or default", () => {
    expect(parseBudgetArgs(["a@b.co"])).toEqual({ email: "a@b.co", change: {} });
    expect(parseBudgetArgs(["a@b.co", "--daily-tokens=0", "--concurrent-runs", "default"])).toEqual(
      { email: "a@b.co", change: { dailyTokens: 0, concurrentRuns: null } },
    );
    expect(() => parseBudgetArgs([])).toThrow("email");
    expect(() => parseBudgetArgs(["a@b.co", "--weekly-tokens", "5"])).toThrow(
      "unknown option --weekly-tokens",
    );
    expect(() => parseBudgetArgs(["a@b.co", "--daily-tokens"])).toThrow("needs a value");
    expect(() => parseBudgetArgs(["a@b.co", "--daily-tokens", "-3"])).toThrow("whole number");
  });
});
