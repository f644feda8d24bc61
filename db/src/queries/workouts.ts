/**
 * Workouts: what a user did on a day. Written and read by the api's tools
 * (log_workout, list_workouts, get_training_summary); every query is scoped to one user.
 */
import type { Exercise, WeekSummary, Workout } from "@trainer2/shared/wire";
import { fromJson, type Queryable, toIso } from "./users.ts";

export type WorkoutRow = {
  id: string;
  performed_on: string;
  kind: string;
  duration_min: number | null;
  exercises: unknown;
  notes: string | null;
  created_at: Date | string;
};

/** Also read by the state snapshot (state.ts), which must see the same columns. */
export const workoutColumns =
  "id, performed_on::text as performed_on, kind, duration_min, exercises, notes, created_at";
const columns = (sql: Queryable) => sql.unsafe(workoutColumns);

const num = (value: unknown) => (typeof value === "number" ? value : null);
const int = (value: unknown) => (typeof value === "number" ? Math.trunc(value) : null);

/** jsonb may hold rows written by older code: read it defensively so one odd row cannot fail a read. */
function toExercises(value: unknown): Exercise[] {
  const list = fromJson(value);
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item) => ({
      name: typeof item.name === "string" ? item.name : "",
      sets: int(item.sets),
      reps: int(item.reps),
      weightKg: num(item.weightKg),
      distanceKm: num(item.distanceKm),
      durationMin: num(item.durationMin),
    }));
}

export const toWorkout = (row: WorkoutRow): Workout => ({
  id: row.id,
  performedOn: row.performed_on,
  kind: row.kind,
  durationMin: row.duration_min,
  exercises: toExercises(row.exercises),
  notes: row.notes,
  createdAt: toIso(row.created_at),
});

export type NewWorkout = {
  /** YYYY-MM-DD; null means today in the database's time zone. */
  performedOn: string | null;
  kind: string;
  durationMin: number | null;
  exercises: Exercise[];
  notes: string | null;
};

export async function insertWorkout(
  sql: Queryable,
  userId: string,
  workout: NewWorkout,
): Promise<Workout> {
  const [row] = await sql<WorkoutRow[]>`
    insert into workouts (user_id, performed_on, kind, duration_min, exercises, notes)
    values (
      ${userId},
      coalesce(${workout.performedOn}::date, current_date),
      ${workout.kind},
      ${workout.durationMin},
      ${sql.json(workout.exercises)},
      ${workout.notes}
    )
    returning ${columns(sql)}`;
  return toWorkout(row!);
}

/** One of the user's workouts; null when it is not theirs or does not exist. */
export async function getWorkout(
  sql: Queryable,
  userId: string,
  workoutId: string,
): Promise<Workout | null> {
  const [row] = await sql<WorkoutRow[]>`
    select ${columns(sql)} from workouts where id = ${workoutId} and user_id = ${userId}`;
  return row ? toWorkout(row) : null;
}

/** Deletes one of the user's workouts; returns it as it was, or null when there was none. */
export async function deleteWorkout(
  sql: Queryable,
  userId: string,
  workoutId: string,
): Promise<Workout | null> {
  const [row] = await sql<WorkoutRow[]>`
    delete from workouts where id = ${workoutId} and user_id = ${userId}
    returning ${columns(sql)}`;
  return row ? toWorkout(row) : null;
}

export type WorkoutFilter = {
  limit: number;
  /** Inclusive YYYY-MM-DD bounds; null leaves that side open. */
  from: string | null;
  to: string | null;
};

/** Newest first (by day, then by when it was logged). */
export async function listWorkouts(
  sql: Queryable,
  userId: string,
  filter: WorkoutFilter,
): Promise<Workout[]> {
  const rows = await sql<WorkoutRow[]>`
    select ${columns(sql)} from workouts
    where user_id = ${userId}
      and (${filter.from}::date is null or performed_on >= ${filter.from}::date)
      and (${filter.to}::date is null or performed_on <= ${filter.to}::date)
    order by performed_on desc, created_at desc
    limit ${filter.limit}`;
  return rows.map(toWorkout);
}

/**
 * Training per ISO week over the last weeks (get_training_summary; the state panel's chart).
 * The SQL returns one JSON value, over the placeholders that hold the user's id and the number
 * of weeks: the weeks that have workouts, and which week is this one in the database's
 * calendar; `fillWeeks` adds the empty weeks. The tool runs it alone, the state snapshot as
 * part of its one statement (state.ts), so the chart and the tool always agree. Grouping the
 * few rows there are costs /state less than joining a series of weeks would.
 */
export const weeklyTotalsSql = (user: string, weeks: string) => `
  select json_build_object(
    'thisWeek', date_trunc('week', current_date)::date::text,
    'weeks', coalesce((select json_agg(t) from (
      select date_trunc('week', performed_on)::date::text as "weekStart",
        count(*)::int as workouts, coalesce(sum(duration_min), 0)::int as minutes
      from workouts
      where user_id = ${user}::uuid
        and performed_on >= date_trunc('week', current_date)::date - 7 * (${weeks}::int - 1)
        and performed_on < date_trunc('week', current_date)::date + 7
      group by 1) t), '[]'))`;

export type WeeklyTotals = {
  /** Monday of the current week, YYYY-MM-DD. */
  thisWeek: string;
  /** Only the weeks that have workouts. */
  weeks: { weekStart: string; workouts: number; minutes: number }[];
};

const dayMs = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The ISO week of a Monday, as Postgres' to_char(d, 'IYYY-"W"IW') words it: 2026-W48. */
export function isoWeekOf(monday: string): string {
  const thursday = Date.parse(`${monday}T00:00:00Z`) + 3 * dayMs;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / dayMs / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** One row per week, `weeks` of them, oldest first, ending with this week; empty weeks as 0. */
export function fillWeeks(totals: WeeklyTotals, weeks: number): WeekSummary[] {
  const byStart = new Map(totals.weeks.map((week) => [week.weekStart, week]));
  const monday = Date.parse(`${totals.thisWeek}T00:00:00Z`);
  return Array.from({ length: weeks }, (_, index) => {
    const weekStart = isoDay(monday - (weeks - 1 - index) * 7 * dayMs);
    const found = byStart.get(weekStart);
    return {
      weekStart,
      isoWeek: isoWeekOf(weekStart),
      workouts: found?.workouts ?? 0,
      minutes: found?.minutes ?? 0,
    };
  });
}

export const weeklyTotalsOf = (value: WeeklyTotals | string): WeeklyTotals => fromJson(value);

export async function weeklySummary(
  sql: Queryable,
  userId: string,
  weeks: number,
): Promise<WeekSummary[]> {
  const [row] = await sql.unsafe<{ totals: WeeklyTotals | string }[]>(
    `select (${weeklyTotalsSql("$1", "$2")}) as totals`,
    [userId, weeks],
  );
  return fillWeeks(weeklyTotalsOf(row!.totals), weeks);
}
