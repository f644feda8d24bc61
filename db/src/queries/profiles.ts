/** A user's coaching profile: one row per user, created empty with the user. */
import type { Profile } from "@trainer2/shared/wire";
import { type Queryable, toIso } from "./users.ts";

export type ProfileRow = {
  display_name: string | null;
  goals: string | null;
  experience_level: Profile["experienceLevel"];
  equipment: string[] | null;
  limitations: string | null;
  units: Profile["units"];
  updated_at: Date | string;
};

export const toProfile = (row: ProfileRow): Profile => ({
  displayName: row.display_name,
  goals: row.goals,
  experienceLevel: row.experience_level,
  equipment: row.equipment ?? [],
  limitations: row.limitations,
  units: row.units,
  updatedAt: toIso(row.updated_at),
});

/** What a profile read selects (the state snapshot reads the same columns). */
export const profileColumns =
  "display_name, goals, experience_level, equipment, limitations, units, updated_at";

/** The user's profile; an empty one (not stored) if the row is somehow missing. */
export async function getProfile(sql: Queryable, userId: string): Promise<Profile> {
  const [row] = await sql.unsafe<ProfileRow[]>(
    `select ${profileColumns} from profiles where user_id = $1`,
    [userId],
  );
  return row ? toProfile(row) : emptyProfile();
}

/** What a user without a profile row sees (the row is created with the user). */
export const emptyProfile = (): Profile => ({
  displayName: null,
  goals: null,
  experienceLevel: null,
  equipment: [],
  limitations: null,
  units: "metric",
  updatedAt: new Date(0).toISOString(),
});

export async function ensureProfile(sql: Queryable, userId: string): Promise<void> {
  await sql`insert into profiles (user_id) values (${userId}) on conflict (user_id) do nothing`;
}
