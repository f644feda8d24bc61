import { deleteWorkout, getWorkout } from "@trainer2/db/queries/workouts";
import { AppError } from "@trainer2/shared/errors";
import type { Workout } from "@trainer2/shared/wire";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { workoutsTable } from "./workout-table.ts";

/** "your 30 min run of 2026-11-28": how the person recognises the workout. */
export function describeWorkout(workout: Workout): string {
  const minutes = workout.durationMin === null ? "" : `${workout.durationMin} min `;
  return `your ${minutes}${workout.kind} of ${workout.performedOn}`;
}

export default defineTool({
  name: "delete_workout",
  description:
    "Delete one workout the person logged, by its id (list_workouts gives ids). The person is asked to approve each deletion in the app before it happens, so call it as soon as they clearly ask to delete a specific workout; if they reject it, nothing is deleted. Returns {deleted}: the workout as it was.",
  input: z.strictObject({
    workoutId: z.uuid().describe("The id of the workout to delete, from list_workouts."),
  }),
  activity: {
    running: "Deleting the workout…",
    done: "Deleted the workout",
    failed: "Could not delete the workout",
  },
  mutates: true,
  tables: [workoutsTable],
  // Deleting history cannot be undone: the person always decides.
  approval: {
    needed: "always",
    summary: async ({ sql, userId }, args) => {
      const workout = await getWorkout(sql, userId, args.workoutId);
      return workout
        ? `Delete ${describeWorkout(workout)}.`
        : "Delete a workout that no longer exists (nothing would be deleted).";
    },
  },
  handler: async ({ tx, userId }, args) => {
    const deleted = await deleteWorkout(tx, userId, args.workoutId);
    if (!deleted) throw new AppError("not_found", "There is no such workout to delete.");
    return { deleted };
  },
});
