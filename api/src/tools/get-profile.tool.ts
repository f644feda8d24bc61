import { ensureProfile, getProfile } from "@trainer2/db/queries/profiles";
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import { profilesTable } from "./profile-table.ts";

export default defineTool({
  name: "get_profile",
  description:
    "Read the person's coaching profile: display name, goals, experience level, equipment, limitations and preferred units. Call it before giving advice that depends on who they are. Returns {profile}; fields they have not told you yet are null (equipment is an empty list).",
  input: z.strictObject({}),
  activity: {
    running: "Reading your profile…",
    done: "Read your profile",
    failed: "Could not read your profile",
  },
  mutates: false,
  tables: [profilesTable],
  handler: async ({ tx, userId }) => {
    // Every user gets a profile row at sign-in; ensure it here too so reads never 404.
    await ensureProfile(tx, userId);
    return { profile: await getProfile(tx, userId) };
  },
});
