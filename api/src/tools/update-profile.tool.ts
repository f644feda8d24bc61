import { type ProfilePatch, updateProfile } from "@trainer2/db/queries/profile-updates";
import { getProfile } from "@trainer2/db/queries/profiles";
import { experienceLevel, units } from "@trainer2/shared/wire";
import { z } from "zod";
import { type ApprovalContext, defineTool, type ToolApproval } from "./define-tool.ts";
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

/** The fields that say what the person trains for and must respect: they decide on changes. */
const guarded = ["goals", "limitations"] as const;
type Guarded = (typeof guarded)[number];
type Change = { field: Guarded; from: string; to: string | null };

/**
 * What this call would overwrite of the guarded fields: a stored value replaced by another or
 * cleared. Setting one for the first time loses nothing (the person has just said it).
 */
async function guardedChanges(sql: ApprovalContext["sql"], userId: string, args: Args) {
  const given = guarded.filter((field) => args[field] !== null);
  if (given.length === 0) return [];
  const profile = await getProfile(sql, userId);
  const patch = toPatch(args);
  const changes: Change[] = [];
  for (const field of given) {
    const from = profile[field];
    const to = patch[field] ?? null;
    if (from !== null && to !== from) changes.push({ field, from, to });
  }
  return changes;
}

function describeChange({ field, from, to }: Change): string {
  return to === null
    ? `clear your ${field} ("${from}")`
    : `change your ${field} from "${from}" to "${to}"`;
}

/**
 * Goals and limitations steer every plan, and a misread sentence must not rewrite them: the
 * person approves a call that replaces or clears a stored goal or limitation. Published as
 * `conditional`: the agent asks POST /tools/update_profile/approval about each call.
 */
export const profileApproval: ToolApproval<Args> = {
  needed: async ({ sql, userId }, args) => (await guardedChanges(sql, userId, args)).length > 0,
  summary: async ({ sql, userId }, args) => {
    const changes = (await guardedChanges(sql, userId, args)).map(describeChange);
    const text = changes.length > 0 ? changes.join(" and ") : "update your profile";
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  },
};

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
  approval: profileApproval,
  handler: async ({ tx, userId }, args) => {
    const patch = toPatch(args);
    const profile = await updateProfile(tx, userId, patch);
    return { profile, changed: Object.keys(patch) };
  },
});
