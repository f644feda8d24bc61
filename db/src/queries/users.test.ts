import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { getProfile } from "./profiles.ts";
import { findUserByIdentity, upsertUserFromIdentity } from "./users.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});

const identity = (subject: string, name = "Ann") => ({
  issuer: "https://id.example.com",
  subject,
  email: `${subject}@example.com`,
  name,
  picture: null,
});

describe("users", () => {
  test("the first sighting creates the user and an empty profile", async () => {
    const { user, created } = await upsertUserFromIdentity(db.sql, identity("first"));
    expect(created).toBe(true);
    expect(user).toMatchObject({ subject: "first", email: "first@example.com", name: "Ann" });
    expect(await getProfile(db.sql, user.id)).toMatchObject({
      displayName: null,
      equipment: [],
      units: "metric",
    });
    const again = await upsertUserFromIdentity(db.sql, identity("first"));
    expect(again).toEqual({ user, created: false });
  });

  test("concurrent first sightings make one user and one profile", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => upsertUserFromIdentity(db.sql, identity("race"))),
    );
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect((await db.sql`select 1 from users where subject = 'race'`).length).toBe(1);
    expect(
      (await db.sql`select 1 from profiles where user_id = ${results[0]!.user.id}`).length,
    ).toBe(1);
  });

  test("changed details are written; the same identity stays one user", async () => {
    const { user } = await upsertUserFromIdentity(db.sql, identity("rename", "Old"));
    const { user: renamed, created } = await upsertUserFromIdentity(
      db.sql,
      identity("rename", "New"),
    );
    expect(created).toBe(false);
    expect(renamed.id).toBe(user.id);
    expect((await findUserByIdentity(db.sql, user.issuer, "rename"))?.name).toBe("New");
  });

  test("the same subject under another issuer is another user", async () => {
    const a = await upsertUserFromIdentity(db.sql, identity("shared"));
    const b = await upsertUserFromIdentity(db.sql, { ...identity("shared"), issuer: "other" });
    expect(a.user.id).not.toBe(b.user.id);
  });
});
