/** Reads for the `state` snapshot that belong to no single writer module. */
import type { Workout } from "@trainer2/shared/wire";
import type { Queryable } from "./users.ts";
import { listWorkouts } from "./workouts.ts";

export const maxWorkoutsInState = 10;

/** The user's most recent workouts, newest first. */
export function recentWorkouts(
  sql: Queryable,
  userId: string,
  limit = maxWorkoutsInState,
): Promise<Workout[]> {
  return listWorkouts(sql, userId, { limit, from: null, to: null });
}
