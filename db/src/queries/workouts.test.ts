import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { insertWorkout, isoWeekOf, listWorkouts, weeklySummary } from "./workouts.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;
let otherUserId: string;

const workout = (performedOn: string | null, durationMin: number | null, kind = "run") => ({
  performedOn,
  kind,
  durationMin,
  exercises: [],
  notes: null,
});

beforeAll(async () => {
  db = await createTestDatabase();
  userId = await createTestUser(db.sql, "a");
  otherUserId = await createTestUser(db.sql, "b");
});
afterAll(() => db.close());

describe("workout queries", () => {
  test("insert returns the wire shape; null date means today", async () => {
    const [today] = await db.sql<{ d: string }[]>`select current_date::text as d`;
    const saved = await insertWorkout(db.sql, userId, {
      performedOn: null,
      kind: "strength",
      durationMin: 45,
      exercises: [
        { name: "squat", sets: 5, reps: 5, weightKg: 80, distanceKm: null, durationMin: null },
      ],
      notes: "felt strong",
    });
    expect(saved.performedOn).toBe(today!.d);
    expect(saved.exercises).toEqual([
      { name: "squat", sets: 5, reps: 5, weightKg: 80, distanceKm: null, durationMin: null },
    ]);
    expect(saved.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  test("list filters by user, date range and limit, newest first", async () => {
    await insertWorkout(db.sql, userId, workout("2020-01-01", 30));
    await insertWorkout(db.sql, userId, workout("2020-01-05", 20));
    await insertWorkout(db.sql, userId, workout("2020-01-10", 10));
    await insertWorkout(db.sql, otherUserId, workout("2020-01-05", 99));
    const range = await listWorkouts(db.sql, userId, {
      limit: 10,
      from: "2020-01-02",
      to: "2020-01-10",
    });
    expect(range.map((w) => w.performedOn)).toEqual(["2020-01-10", "2020-01-05"]);
    const limited = await listWorkouts(db.sql, userId, { limit: 1, from: null, to: "2020-12-31" });
    expect(limited.map((w) => w.performedOn)).toEqual(["2020-01-10"]);
  });

  test("weekly summary counts workouts and minutes per ISO week, empty weeks included", async () => {
    const fresh = await createTestUser(db.sql, "c");
    const [dates] = await db.sql<{ monday: string; lastWeek: string }[]>`
      select date_trunc('week', current_date)::date::text as monday,
        (date_trunc('week', current_date)::date - 7)::text as "lastWeek"`;
    await insertWorkout(db.sql, fresh, workout(dates!.monday, 30));
    await insertWorkout(db.sql, fresh, workout(dates!.monday, null));
    await insertWorkout(db.sql, fresh, workout(dates!.lastWeek, 25));
    await insertWorkout(db.sql, userId, workout(dates!.monday, 500));
    const weeks = await weeklySummary(db.sql, fresh, 3);
    expect(weeks).toHaveLength(3);
    expect(weeks.map((w) => [w.workouts, w.minutes])).toEqual([
      [0, 0],
      [1, 25],
      [2, 30],
    ]);
    expect(weeks[2]!.weekStart).toBe(dates!.monday);
    expect(weeks[2]!.isoWeek).toMatch(/^\d{4}-W\d{2}$/);
  });

  test("the weeks are Postgres' own: ISO labels across year ends, nothing after this week", async () => {
    const mondays = await db.sql<{ monday: string; label: string }[]>`
      select d::date::text as monday, to_char(d, 'IYYY-"W"IW') as label
      from generate_series('2019-12-30'::date, '2027-01-04'::date, interval '7 days') d`;
    expect(mondays.length).toBeGreaterThan(360);
    expect(mondays.filter((m) => isoWeekOf(m.monday) !== m.label)).toEqual([]);
    const later = await createTestUser(db.sql, "d");
    const [next] = await db.sql<{ d: string }[]>`
      select (date_trunc('week', current_date)::date + 7)::text as d`;
    await insertWorkout(db.sql, later, workout(next!.d, 40));
    const weeks = await weeklySummary(db.sql, later, 2);
    expect(weeks.map((w) => w.minutes)).toEqual([0, 0]);
  });
});
