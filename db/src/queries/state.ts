/** Reads for the `state` snapshot that belong to no single writer module. */
import type { Workout } from "@trainer2/shared/wire";
import { type Queryable, toIso } from "./users.ts";

export const maxWorkoutsInState = 10;

type WorkoutRow = {
  id: string;
  performed_on: string;
  kind: string;
  duration_min: number | null;
  exercises: unknown;
  notes: string | null;
  created_at: Date | string;
};

const num = (value: unknown) => (typeof value === "number" ? value : null);
const int = (value: unknown) => (typeof value === "number" ? Math.trunc(value) : null);

/** jsonb is written by the tools; read it defensively so one odd row cannot break /state. */
function toExercises(value: unknown): Workout["exercises"] {
  const list = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item) => ({
      name: typeof item.name === "string" ? item.name : "",
      sets: int(item.sets),
      reps: int(item.reps),
      weightKg: num(item.weightKg ?? item.weight_kg),
      distanceKm: num(item.distanceKm ?? item.distance_km),
      durationMin: num(item.durationMin ?? item.duration_min),
    }));
}

/** The user's most recent workouts, newest first. */
export async function recentWorkouts(
  sql: Queryable,
  userId: string,
  limit = maxWorkoutsInState,
): Promise<Workout[]> {
  const rows = await sql<WorkoutRow[]>`
    select id, performed_on::text as performed_on, kind, duration_min, exercises, notes, created_at
    from workouts where user_id = ${userId}
    order by performed_on desc, created_at desc limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    performedOn: row.performed_on,
    kind: row.kind,
    durationMin: row.duration_min,
    exercises: toExercises(row.exercises),
    notes: row.notes,
    createdAt: toIso(row.created_at),
  }));
}
