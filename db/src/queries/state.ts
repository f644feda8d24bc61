/** Reads for the `state` snapshot that belong to no single writer module. */
import type { WeekSummary, Workout } from "@trainer2/shared/wire";
import type { Queryable } from "./users.ts";
import { listWorkouts, weeklySummary } from "./workouts.ts";

export const maxWorkoutsInState = 10;
/** Weeks of the state panel's chart of training minutes. */
export const trainingWeeksInState = 8;

/** The user's most recent workouts, newest first. */
export function recentWorkouts(
  sql: Queryable,
  userId: string,
  limit = maxWorkoutsInState,
): Promise<Workout[]> {
  return listWorkouts(sql, userId, { limit, from: null, to: null });
}

/**
 * Minutes and workouts per week over the last weeks, oldest first: the state panel's chart,
 * read with the same query as the get_training_summary tool, so both always agree.
 */
export function trainingWeeks(
  sql: Queryable,
  userId: string,
  weeks = trainingWeeksInState,
): Promise<WeekSummary[]> {
  return weeklySummary(sql, userId, weeks);
}
