/**
 * Partial profile updates for the update_profile tool. Reads stay in profiles.ts; this
 * module only adds the write the tool needs.
 */
import type { Profile } from "@trainer2/shared/wire";
import { ensureProfile, getProfile } from "./profiles.ts";
import type { Queryable } from "./users.ts";

/** Fields to change; absent (undefined) fields stay as they are, null clears a nullable one. */
export type ProfilePatch = Partial<{
  displayName: string | null;
  goals: string | null;
  experienceLevel: Profile["experienceLevel"];
  equipment: string[];
  limitations: string | null;
  units: Profile["units"];
}>;

const columnOf = {
  displayName: "display_name",
  goals: "goals",
  experienceLevel: "experience_level",
  equipment: "equipment",
  limitations: "limitations",
  units: "units",
} as const satisfies Record<keyof ProfilePatch, string>;

/** Applies the patch (creating the row if it is missing) and returns the profile after it. */
export async function updateProfile(
  sql: Queryable,
  userId: string,
  patch: ProfilePatch,
): Promise<Profile> {
  await ensureProfile(sql, userId);
  const changes: Record<string, string | string[] | null> = {};
  for (const [field, column] of Object.entries(columnOf)) {
    const value = patch[field as keyof ProfilePatch];
    if (value !== undefined) changes[column] = value;
  }
  const names = Object.keys(changes);
  if (names.length > 0) {
    await sql`
      update profiles set ${sql(changes, names)}, updated_at = now()
      where user_id = ${userId}`;
  }
  return getProfile(sql, userId);
}
