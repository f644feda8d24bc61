import type { ToolLine } from "@/lib/realtime/chat-state";

/** How each tool's activity reads in the transcript: running, done, failed. */
const phrases: Record<string, [running: string, done: string, failed: string]> = {
  update_profile: [
    "Updating your profile…",
    "Updated your profile",
    "Could not update your profile",
  ],
  get_profile: ["Reading your profile…", "Read your profile", "Could not read your profile"],
  log_workout: ["Logging your workout…", "Logged your workout", "Could not log your workout"],
  list_workouts: [
    "Looking at your workouts…",
    "Looked at your workouts",
    "Could not read your workouts",
  ],
  get_training_summary: [
    "Summarising your training…",
    "Summarised your training",
    "Could not summarise your training",
  ],
};

/**
 * Known tools read as plain phrases; for others the agent's summary is shown. A failure
 * shows the tool's own message, which says what went wrong.
 */
export function toolText(line: ToolLine): string {
  const known = phrases[line.name];
  const label = line.name.replaceAll("_", " ");
  if (line.status === "started") return known?.[0] ?? `Using ${label}…`;
  if (line.status === "ok") return known?.[1] ?? line.summary ?? `Used ${label}`;
  return line.summary ?? known?.[2] ?? `${label} failed`;
}
