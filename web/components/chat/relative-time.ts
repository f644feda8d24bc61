/** "5 minutes ago", "yesterday", "last week": when a chat was last active, as people say it. */

const steps: [limitSeconds: number, unit: Intl.RelativeTimeFormatUnit, seconds: number][] = [
  [45 * 60, "minute", 60],
  [22 * 3600, "hour", 3600],
  [6.5 * 86400, "day", 86400],
  [4.5 * 7 * 86400, "week", 7 * 86400],
  [11.5 * 30 * 86400, "month", 30 * 86400],
];

const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function relativeTime(iso: string, now: number): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  const distance = Math.abs(seconds);
  if (Number.isNaN(distance)) return "";
  // A clock a little ahead of the browser's still reads as "just now", never "in 3 seconds".
  if (distance < 45 || (seconds > 0 && distance < 120)) return "just now";
  for (const [limit, unit, size] of steps)
    if (distance < limit) return format.format(Math.round(seconds / size), unit);
  return format.format(Math.round(seconds / (365 * 86400)), "year");
}

/** The whole date and time, for the tooltip. */
export const fullTime = (iso: string) =>
  new Date(iso).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
