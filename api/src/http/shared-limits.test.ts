/**
 * The per-person bucket in Postgres, as the api's limits use it: two processes' limits on one
 * database spend from one bucket, a flood refused locally costs no round trip, and a database
 * that is down or hangs lets requests through on the local bucket (fail open), never refuses.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createSql } from "@trainer2/db";
import { createTestDatabase, createTestUser, type TestDatabase } from "@trainer2/db/testing";
import { createLogger } from "@trainer2/shared/logger";
import { freePort } from "@trainer2/shared/processes";
import { costs, PersonLimits, type SharedLimits, sharedFromCost } from "./person-limits.ts";
import { sharedLimitsIn } from "./shared-limits.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const logger = createLogger({ service: "api", level: "silent" });
// Nothing refills during a test: what is spent stays spent.
const settings = { perSecond: 1, burst: 100 };

/** One api process's limits on `sql`, counting the round trips to the shared bucket. */
function processLimits(shared: SharedLimits) {
  let trips = 0;
  const counted: SharedLimits = {
    ...shared,
    charge: (userId, cost) => {
      trips++;
      return shared.charge(userId, cost);
    },
  };
  return { limits: new PersonLimits(settings, Date.now, counted), trips: () => trips };
}

const outcome = (promise: Promise<void>) =>
  promise.then(
    () => "granted",
    (error: { code?: string }) => error.code ?? String(error),
  );

describe("shared by every process", () => {
  test("what one process spent, another cannot spend again", async () => {
    const userId = await createTestUser(db.sql);
    const a = processLimits(sharedLimitsIn(db.sql, settings, { logger, now: Date.now }));
    const b = processLimits(sharedLimitsIn(db.sql, settings, { logger, now: Date.now }));
    expect(await outcome(a.limits.charge(userId, 60))).toBe("granted");
    // b's own bucket is full, but the person's shared one holds 40.
    expect(await outcome(b.limits.charge(userId, 60))).toBe("rate_limited");
    expect(await outcome(b.limits.charge(userId, 40))).toBe("granted");
    expect(await outcome(a.limits.charge(userId, sharedFromCost))).toBe("rate_limited");
  });

  test("a /state read is charged in this process alone: no round trip on the hottest read", async () => {
    const userId = await createTestUser(db.sql);
    const a = processLimits(sharedLimitsIn(db.sql, settings, { logger, now: Date.now }));
    expect(costs.state).toBeLessThan(sharedFromCost);
    for (let i = 0; i < 10; i++) await a.limits.charge(userId, costs.state);
    expect(a.trips()).toBe(0);
    await a.limits.charge(userId, costs.session);
    expect(a.trips()).toBe(1);
  });

  test("a flood refused by the process's own bucket costs no round trip", async () => {
    const userId = await createTestUser(db.sql);
    const a = processLimits(sharedLimitsIn(db.sql, settings, { logger, now: Date.now }));
    const outcomes = [];
    for (let i = 0; i < 50; i++) outcomes.push(await outcome(a.limits.charge(userId, 5)));
    expect(outcomes.filter((o) => o === "granted")).toHaveLength(20);
    expect(a.trips()).toBe(20);
  });
});

describe("the database down: fail open", () => {
  test("refused connections: requests go ahead on the local bucket, and it still bounds them", async () => {
    const down = createSql(`postgres://postgres@127.0.0.1:${await freePort()}/trainer2`, {
      max: 1,
      connectTimeout: 2,
    });
    const failures: unknown[] = [];
    const shared = sharedLimitsIn(down, settings, { logger, now: Date.now });
    const limits = new PersonLimits(settings, Date.now, {
      ...shared,
      onUnavailable: (error) => failures.push(error),
    });
    const userId = crypto.randomUUID();
    expect(await outcome(limits.charge(userId, 60))).toBe("granted");
    expect(await outcome(limits.charge(userId, 40))).toBe("granted");
    expect(failures).toHaveLength(2);
    // Never an auth failure, never a refusal of its own: only the local bucket refuses.
    expect(await outcome(limits.charge(userId, 1))).toBe("rate_limited");
    await down.end({ timeout: 1 });
  });

  test("a database that hangs is given up on after the timeout", async () => {
    // Accepts connections and never answers, as a stalled database or network does.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const hung = createSql(`postgres://postgres@127.0.0.1:${silent.port}/trainer2`, { max: 1 });
    let told: unknown;
    const limits = new PersonLimits(settings, Date.now, {
      ...sharedLimitsIn(hung, settings, { logger, now: Date.now, timeoutMs: 100 }),
      onUnavailable: (error) => {
        told = error;
      },
    });
    expect(await outcome(limits.charge(crypto.randomUUID(), sharedFromCost))).toBe("granted");
    expect(String(told)).toContain("no answer in 100 ms");
    silent.stop(true);
    await hung.end({ timeout: 0 });
  });
});
