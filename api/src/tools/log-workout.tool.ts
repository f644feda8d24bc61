import { insertWorkout } from "@trainer2/db/queries/workouts";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { dateInput } from "./inputs.ts";
import { workoutsTable } from "./workout-table.ts";

const exercise = z.strictObject({
  name: z.string().trim().min(1).max(100).describe("The exercise, e.g. squat, 5k run."),
  sets: z.number().int().min(1).max(100).nullable(),
  reps: z.number().int().min(1).max(1000).nullable().describe("Reps per set."),
  weightKg: z.number().min(0).max(1000).nullable().describe("Load in kilograms."),
  distanceKm: z.number().min(0).max(1000).nullable().describe("Distance in kilometres."),
  durationMin: z.number().min(0).max(1440).nullable().describe("Minutes spent on it."),
});

export default defineTool({
  name: "log_workout",
  description:
    "Record a workout the person did. Store values in metric units (convert miles and pounds first). Unknown details are null; exercises may be an empty list. Returns {workout} as stored.",
  input: z.strictObject({
    performedOn: dateInput.nullable().describe("The day as YYYY-MM-DD; null means today."),
    kind: z
      .string()
      .trim()
      .min(1)
      .max(50)
      .describe("What sort of training, e.g. run, strength, cycling, yoga."),
    durationMin: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .nullable()
      .describe("Total minutes, when known."),
    exercises: z.array(exercise).max(50),
    notes: z.string().trim().max(2000).nullable().describe("How it felt, anything to remember."),
  }),
  activity: {
    running: "Logging your workout…",
    done: "Logged your workout",
    failed: "Could not log your workout",
  },
  mutates: true,
  tables: [workoutsTable],
  handler: async ({ tx, userId }, args) => ({
    workout: await insertWorkout(tx, userId, { ...args, notes: args.notes || null }),
  }),
});
