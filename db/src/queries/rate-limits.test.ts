import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { chargeBucket } from "./rate-limits.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

// A refill so slow that nothing comes back during the test.
const slow = { bucket: "cost", perSecond: 0.000001, burst: 100 };

describe("chargeBucket", () => {
  test("starts full, takes what is asked while it lasts, then refuses and keeps the rest", async () => {
    const userId = await createTestUser(db.sql);
    const charge = (cost: number) => chargeBucket(db.sql, { ...slow, userId, cost });
    expect(await charge(60)).toMatchObject({ granted: true });
    const second = await charge(30);
    expect(second.granted).toBe(true);
    expect(second.tokens).toBeCloseTo(10, 2);
    const refused = await charge(20);
    expect(refused.granted).toBe(false);
    expect(refused.tokens).toBeCloseTo(10, 2);
    expect((await charge(10)).granted).toBe(true);
  });

  test("concurrent charges over several connections never spend the same tokens twice", async () => {
    const userId = await createTestUser(db.sql);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => chargeBucket(db.sql, { ...slow, userId, cost: 10 })),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(10);
  });

  test("refills with the database's clock, up to the burst; buckets and people are apart", async () => {
    const userId = await createTestUser(db.sql);
    const fast = { bucket: "cost", perSecond: 1000, burst: 100, userId };
    expect((await chargeBucket(db.sql, { ...fast, cost: 100 })).granted).toBe(true);
    // A second later by the database's clock: full again, never above the burst.
    await db.sql`update rate_limit_buckets set at = at - interval '1 second' where user_id = ${userId}`;
    const refilled = await chargeBucket(db.sql, { ...fast, cost: 1 });
    expect(refilled).toMatchObject({ granted: true });
    expect(refilled.tokens).toBeLessThanOrEqual(99.001);
    const other = await chargeBucket(db.sql, { ...fast, bucket: "other", cost: 100 });
    expect(other.granted).toBe(true);
  });

  test("a person's buckets go with their account", async () => {
    const userId = await createTestUser(db.sql);
    await chargeBucket(db.sql, { ...slow, userId, cost: 1 });
    await db.sql`delete from users where id = ${userId}`;
    const [left] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from rate_limit_buckets where user_id = ${userId}`;
    expect(left!.n).toBe(0);
  });
});
