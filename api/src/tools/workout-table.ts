/** What the agent should know about `workouts` (merged into the table cards). */
import type { TableMeaning } from "./define-tool.ts";

export const workoutsTable: TableMeaning = {
  name: "workouts",
  description:
    "Workouts the person did, one row per session of training. Written by log_workout; read by list_workouts and get_training_summary.",
  columns: {
    id: "The workout's id.",
    user_id: "The person who trained; set by the api, never passed by the agent.",
    performed_on: "The calendar day of the workout.",
    kind: "What sort of training it was, e.g. run, strength, cycling, yoga.",
    duration_min: "Total minutes, when known.",
    exercises: "The exercises as a JSON list: name, sets, reps, weightKg, distanceKm, durationMin.",
    notes: "Free-text notes: how it felt, conditions, anything worth remembering.",
    created_at: "When it was logged.",
  },
};
