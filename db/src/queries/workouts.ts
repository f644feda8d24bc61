/**
 * Workouts: what a user did on a day. Written and read by the api's tools
 * (log_workout, list_workouts, get_training_summary); every query is scoped to one user.
 */
import type { Exercise, Workout } from "@trainer2/shared/wire";
import { type Queryable, toIso } from "./users.ts";

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
  const list = typeof value === "string" ? JSON.parse(value) : value;
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

export type WeekSummary = {
  /** Monday of the ISO week, YYYY-MM-DD. */
  weekStart: string;
  /** ISO week label, e.g. 2026-W48. */
  isoWeek: string;
  workouts: number;
  /** Sum of the workouts' durations; workouts without a duration count as 0. */
  minutes: number;
};

/** One row per ISO week, oldest first, ending with the current week; empty weeks included. */
export async function weeklySummary(
  sql: Queryable,
  userId: string,
  weeks: number,
): Promise<WeekSummary[]> {
  return sql<WeekSummary[]>`
    with bounds as (select date_trunc('week', current_date)::date as this_week),
    series as (
      select (this_week - (n * 7))::date as week_start
      from bounds, generate_series(0, ${weeks}::int - 1) as n
    )
    select
      s.week_start::text as "weekStart",
      to_char(s.week_start, 'IYYY-"W"IW') as "isoWeek",
      count(w.id)::int as workouts,
      coalesce(sum(w.duration_min), 0)::int as minutes
    from series s
    left join workouts w
      on w.user_id = ${userId}
      and w.performed_on >= s.week_start
      and w.performed_on < s.week_start + 7
    group by s.week_start
    order by s.week_start`;
}
