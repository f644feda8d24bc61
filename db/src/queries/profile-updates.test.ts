import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { updateProfile } from "./profile-updates.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  userId = await createTestUser(db.sql);
});
afterAll(() => db.close());

describe("profile updates", () => {
  test("creates a missing row and changes only the given fields", async () => {
    const first = await updateProfile(db.sql, userId, {
      goals: "run 10k",
      equipment: ["kettlebell", "bike"],
    });
    expect(first).toMatchObject({
      goals: "run 10k",
      equipment: ["kettlebell", "bike"],
      units: "metric",
      displayName: null,
    });
    const second = await updateProfile(db.sql, userId, { units: "imperial", goals: null });
    expect(second).toMatchObject({
      goals: null,
      equipment: ["kettlebell", "bike"],
      units: "imperial",
    });
    expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));
  });

  test("an empty patch writes nothing", async () => {
    const before = await updateProfile(db.sql, userId, {});
    const after = await updateProfile(db.sql, userId, {});
    expect(after).toEqual(before);
  });

  test("a value the schema refuses fails and leaves the row unchanged", async () => {
    const before = await updateProfile(db.sql, userId, {});
    await expect(
      db.sql.begin((tx) =>
        updateProfile(tx, userId, { goals: "x", experienceLevel: "guru" as never }),
      ),
    ).rejects.toThrow();
    expect(await updateProfile(db.sql, userId, {})).toEqual(before);
  });
});
