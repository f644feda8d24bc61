import { weeklySummary } from "@trainer2/db/queries/workouts";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { workoutsTable } from "./workout-table.ts";

const defaultWeeks = 4;

export default defineTool({
  name: "get_training_summary",
  description:
    "Summarise the person's training per ISO week (Monday to Sunday) over the last N weeks, ending with the current week: number of workouts and total minutes, weeks without training included. Use it for weekly reviews and to spot trends. Returns {weeks:[{weekStart, isoWeek, workouts, minutes}], totals:{workouts, minutes}}, oldest week first.",
  input: z.strictObject({
    weeks: z
      .number()
      .int()
      .min(1)
      .max(52)
      .nullable()
      .describe(`How many weeks (1-52) including the current one; null means ${defaultWeeks}.`),
  }),
  activity: {
    running: "Summarising your training…",
    done: "Summarised your training",
    failed: "Could not summarise your training",
  },
  mutates: false,
  tables: [workoutsTable],
  handler: async ({ tx, userId }, args) => {
    const weeks = await weeklySummary(tx, userId, args.weeks ?? defaultWeeks);
    const totals = weeks.reduce(
      (sum, week) => ({
        workouts: sum.workouts + week.workouts,
        minutes: sum.minutes + week.minutes,
      }),
      { workouts: 0, minutes: 0 },
    );
    return { weeks, totals };
  },
});
