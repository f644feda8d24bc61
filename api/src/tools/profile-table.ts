/** What the agent should know about `profiles` (merged into the table cards). */
import type { TableMeaning } from "./define-tool.ts";

export const profilesTable: TableMeaning = {
  name: "profiles",
  description:
    "The person's coaching profile: one row per user. Read it with get_profile, change it with update_profile.",
  columns: {
    user_id: "The person this profile belongs to; set by the api, never passed by the agent.",
    display_name: "What the person wants to be called.",
    goals: "Their training goals in their own words.",
    experience_level: "beginner, intermediate or advanced.",
    equipment: "Equipment they have access to (empty when none or unknown).",
    limitations: "Injuries, conditions or constraints to respect when suggesting training.",
    units: "metric or imperial: the units to talk to them in (stored values are metric).",
    updated_at: "When the profile last changed.",
  },
};
