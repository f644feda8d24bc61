import { type ProfilePatch, updateProfile } from "@trainer2/db/queries/profile-updates";
import { experienceLevel, units } from "@trainer2/shared/wire";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { profilesTable } from "./profile-table.ts";

const text = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max)
    .nullable()
    .describe(`${what} At most ${max} characters. null: leave unchanged; "": clear it.`);

const input = z.strictObject({
  displayName: text(100, "What the person wants to be called."),
  goals: text(2000, "Their training goals in their own words."),
  experienceLevel: experienceLevel.nullable().describe("null: leave unchanged."),
  equipment: z
    .array(z.string().trim().min(1).max(100))
    .max(50)
    .nullable()
    .describe(
      "The full list of equipment they have (replaces the stored list). null: leave unchanged; []: clear it.",
    ),
  limitations: text(2000, "Injuries, conditions or constraints to respect."),
  units: units.nullable().describe("metric or imperial. null: leave unchanged."),
});

type Args = z.output<typeof input>;
const textFields = ["displayName", "goals", "limitations"] as const;

/** null means "not given"; an empty text clears the field. */
function toPatch(args: Args): ProfilePatch {
  const patch: ProfilePatch = {};
  for (const field of textFields) {
    const value = args[field];
    if (value !== null) patch[field] = value === "" ? null : value;
  }
  if (args.experienceLevel !== null) patch.experienceLevel = args.experienceLevel;
  if (args.equipment !== null) patch.equipment = args.equipment;
  if (args.units !== null) patch.units = args.units;
  return patch;
}

export default defineTool({
  name: "update_profile",
  description:
    "Change some fields of the person's coaching profile, e.g. after they tell you their goal or experience. Pass only what they told you; every other field must be null, which leaves it unchanged. Returns {profile, changed}: the profile after the change and the names of the fields that were given.",
  input,
  activity: {
    running: "Updating your profile…",
    done: "Updated your profile",
    failed: "Could not update your profile",
  },
  mutates: true,
  tables: [profilesTable],
  handler: async ({ tx, userId }, args) => {
    const patch = toPatch(args);
    const profile = await updateProfile(tx, userId, patch);
    return { profile, changed: Object.keys(patch) };
  },
});
