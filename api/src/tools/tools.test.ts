import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { profileDto, toolResponse, workoutDto } from "@trainer2/shared/wire";
import { z } from "zod";
import { loadState } from "../state/load-state.ts";
import { createHarness, type Harness } from "../testing/tools-harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

async function newRun() {
  const user = await h.createUser();
  return { user, ...(await h.startRun(user)) };
}

async function okResult(response: Response) {
  const body = toolResponse.parse(await response.json());
  if ("error" in body) throw new Error(`expected a result, got ${JSON.stringify(body.error)}`);
  expect(response.status).toBe(200);
  return body.result as Record<string, unknown>;
}

async function invalid(response: Response) {
  expect(response.status).toBe(400);
  const body = (await response.json()) as {
    error: { code: string; message: string; issues: { path: string; message: string }[] };
  };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe("invalid_arguments");
  expect(body.error.message).toBeString();
  return body.error.issues.map((issue) => issue.path);
}

const noProfileChange = {
  displayName: null,
  goals: null,
  experienceLevel: null,
  equipment: null,
  limitations: null,
  units: null,
};
const aWorkout = {
  performedOn: "2026-03-02",
  kind: "strength",
  durationMin: 50,
  exercises: [
    { name: "squat", sets: 5, reps: 5, weightKg: 100, distanceKm: null, durationMin: null },
  ],
  notes: "heavy day",
};

describe("get_profile", () => {
  test("returns the run user's profile", async () => {
    const { call } = await newRun();
    const result = await okResult(await call("get_profile", {}));
    const profile = profileDto.parse(result.profile);
    expect(profile).toMatchObject({ displayName: null, equipment: [], units: "metric" });
  });

  test("refuses unexpected arguments", async () => {
    const { call } = await newRun();
    expect(await invalid(await call("get_profile", { userId: "someone-else" }))).toEqual([""]);
    await invalid(await call("get_profile", []));
  });
});

describe("update_profile", () => {
  test("changes only the fields given non-null; empty text clears", async () => {
    const { run, call } = await newRun();
    const first = await okResult(
      await call("update_profile", {
        ...noProfileChange,
        displayName: "Sam",
        goals: "first 10k",
        experienceLevel: "beginner",
        equipment: ["running shoes"],
        limitations: "sore knee",
      }),
    );
    expect(first.changed).toEqual([
      "displayName",
      "goals",
      "limitations",
      "experienceLevel",
      "equipment",
    ]);
    // Clearing a stored limitation waits for the person: approved here, as the page would.
    const clearing = { ...noProfileChange, limitations: "", units: "imperial" };
    await h.approve(run, { callId: "clear", tool: "update_profile", args: clearing });
    const second = await okResult(await call("update_profile", clearing, { callId: "clear" }));
    expect(profileDto.parse(second.profile)).toMatchObject({
      displayName: "Sam",
      goals: "first 10k",
      experienceLevel: "beginner",
      equipment: ["running shoes"],
      limitations: null,
      units: "imperial",
    });
    expect(second.changed).toEqual(["limitations", "units"]);
  });

  test("names each bad field and changes nothing", async () => {
    const { user, call } = await newRun();
    const paths = await invalid(
      await call("update_profile", {
        ...noProfileChange,
        goals: "valid goal",
        experienceLevel: "guru",
        units: "furlongs",
        equipment: [""],
      }),
    );
    expect(paths.sort()).toEqual(["equipment.0", "experienceLevel", "units"]);
    const missing = await invalid(await call("update_profile", { goals: "x" }));
    expect(missing).toContain("displayName");
    const [row] = await h.sql<{ goals: string | null }[]>`
      select goals from profiles where user_id = ${user.userId}`;
    expect(row!.goals).toBeNull();
  });
});

describe("log_workout", () => {
  test("stores the workout for the run's user and returns it", async () => {
    const { user, call } = await newRun();
    const result = await okResult(await call("log_workout", aWorkout));
    const workout = workoutDto.parse(result.workout);
    expect(workout).toMatchObject({
      performedOn: "2026-03-02",
      kind: "strength",
      durationMin: 50,
      notes: "heavy day",
      exercises: aWorkout.exercises,
    });
    const [row] = await h.sql<{ user_id: string }[]>`
      select user_id from workouts where id = ${workout.id}`;
    expect(row!.user_id).toBe(user.userId);
  });

  test("null date means today", async () => {
    const { call } = await newRun();
    const [today] = await h.sql<{ d: string }[]>`select current_date::text as d`;
    const result = await okResult(
      await call("log_workout", { ...aWorkout, performedOn: null, exercises: [], notes: null }),
    );
    expect(workoutDto.parse(result.workout).performedOn).toBe(today!.d);
  });

  test("refuses bad dates, empty kinds, non-positive durations and writes nothing", async () => {
    const { user, call } = await newRun();
    const paths = await invalid(
      await call("log_workout", {
        ...aWorkout,
        performedOn: "2026-02-30",
        kind: " ",
        durationMin: 0,
        exercises: [{ name: "row" }],
      }),
    );
    expect(paths).toEqual(
      expect.arrayContaining(["performedOn", "kind", "durationMin", "exercises.0.sets"]),
    );
    await invalid(await call("log_workout", { ...aWorkout, performedOn: "March 2nd" }));
    const [count] = await h.sql<{ n: number }[]>`
      select count(*)::int as n from workouts where user_id = ${user.userId}`;
    expect(count!.n).toBe(0);
  });
});

describe("list_workouts", () => {
  test("newest first, with limit and date range", async () => {
    const { call } = await newRun();
    for (const day of ["2026-01-01", "2026-01-08", "2026-01-15"]) {
      await okResult(await call("log_workout", { ...aWorkout, performedOn: day }));
    }
    const all = await okResult(await call("list_workouts", { limit: null, from: null, to: null }));
    const days = (list: unknown) =>
      z
        .array(workoutDto)
        .parse(list)
        .map((w) => w.performedOn);
    expect(days(all.workouts)).toEqual(["2026-01-15", "2026-01-08", "2026-01-01"]);
    const ranged = await okResult(
      await call("list_workouts", { limit: 1, from: "2026-01-01", to: "2026-01-10" }),
    );
    expect(days(ranged.workouts)).toEqual(["2026-01-08"]);
  });

  test("refuses a limit out of range and a reversed range", async () => {
    const { call } = await newRun();
    expect(
      await invalid(await call("list_workouts", { limit: 500, from: null, to: null })),
    ).toEqual(["limit"]);
    expect(
      await invalid(
        await call("list_workouts", { limit: null, from: "2026-02-01", to: "2026-01-01" }),
      ),
    ).toEqual(["from"]);
  });
});

describe("get_training_summary", () => {
  test("counts workouts and minutes per ISO week over the last N weeks", async () => {
    const { call } = await newRun();
    const [dates] = await h.sql<{ monday: string; before: string }[]>`
      select date_trunc('week', current_date)::date::text as monday,
        (date_trunc('week', current_date)::date - 14)::text as before`;
    await okResult(await call("log_workout", { ...aWorkout, performedOn: dates!.monday }));
    await okResult(
      await call("log_workout", { ...aWorkout, performedOn: dates!.monday, durationMin: 20 }),
    );
    await okResult(await call("log_workout", { ...aWorkout, performedOn: dates!.before }));
    const result = await okResult(await call("get_training_summary", { weeks: 3 }));
    const weeks = result.weeks as { weekStart: string; workouts: number; minutes: number }[];
    expect(weeks.map((w) => [w.workouts, w.minutes])).toEqual([
      [1, 50],
      [0, 0],
      [2, 70],
    ]);
    expect(weeks.at(-1)!.weekStart).toBe(dates!.monday);
    expect(result.totals).toEqual({ workouts: 3, minutes: 120 });
    const defaults = await okResult(await call("get_training_summary", { weeks: null }));
    expect(defaults.weeks as unknown[]).toHaveLength(4);
  });

  test("the state panel's chart shows the same weeks the tool reads, the last 8", async () => {
    const { call, user } = await newRun();
    await okResult(await call("log_workout", { ...aWorkout, performedOn: null, durationMin: 30 }));
    const result = await okResult(await call("get_training_summary", { weeks: 8 }));
    const state = await loadState(h.sql, user.userId, undefined);
    expect(state.trainingWeeks).toEqual(result.weeks as never);
    expect(state.trainingWeeks).toHaveLength(8);
    expect(state.trainingWeeks.at(-1)).toMatchObject({ workouts: 1, minutes: 30 });
  });

  test("refuses weeks out of range or of the wrong type", async () => {
    const { call } = await newRun();
    expect(await invalid(await call("get_training_summary", { weeks: 0 }))).toEqual(["weeks"]);
    expect(await invalid(await call("get_training_summary", { weeks: "4" }))).toEqual(["weeks"]);
    expect(await invalid(await call("get_training_summary", {}))).toEqual(["weeks"]);
  });
});
