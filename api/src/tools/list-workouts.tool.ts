import { listWorkouts } from "@trainer2/db/queries/workouts";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { dateInput } from "./inputs.ts";
import { workoutsTable } from "./workout-table.ts";

const defaultLimit = 10;

export default defineTool({
  name: "list_workouts",
  description:
    "List the person's logged workouts, newest first, optionally within a date range. Returns {workouts}.",
  input: z
    .strictObject({
      limit: z
        .number()
        .int()
        .min(1)
        .max(50)
        .nullable()
        .describe(`How many at most (1-50); null means ${defaultLimit}.`),
      from: dateInput
        .nullable()
        .describe("First day to include, YYYY-MM-DD; null: no lower bound."),
      to: dateInput.nullable().describe("Last day to include, YYYY-MM-DD; null: no upper bound."),
    })
    .refine((args) => !args.from || !args.to || args.from <= args.to, {
      message: "from must not be after to",
      path: ["from"],
    }),
  activity: {
    running: "Looking at your workouts…",
    done: "Looked at your workouts",
    failed: "Could not read your workouts",
  },
  mutates: false,
  tables: [workoutsTable],
  handler: async ({ tx, userId }, args) => ({
    workouts: await listWorkouts(tx, userId, {
      limit: args.limit ?? defaultLimit,
      from: args.from,
      to: args.to,
    }),
  }),
});
