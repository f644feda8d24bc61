/**
 * A tool call's arguments as a person reads them on an approval card: labels from the names
 * ("workoutId" → "Workout id"), plain values, and nothing for what the call leaves unset
 * (strict tool schemas send every optional field as null). Never raw JSON.
 */
export type ArgumentLine = { label: string; value: string };

/** "workoutId", "duration_min" → "Workout id", "Duration min". */
export function labelOf(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replaceAll("_", " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const isUnset = (value: unknown) => value === null || value === undefined;

/** One value as text: lists joined, nested objects as "label: value" pairs. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value === "" ? "(empty)" : value;
  if (typeof value === "number") return value.toLocaleString("en");
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length ? value.map(valueText).join(", ") : "(none)";
  if (typeof value === "object" && value !== null)
    return Object.entries(value)
      .filter(([, inner]) => !isUnset(inner))
      .map(([key, inner]) => `${labelOf(key)}: ${valueText(inner)}`)
      .join("; ");
  return String(value);
}

export function argumentLines(args: Record<string, unknown>): ArgumentLine[] {
  return Object.entries(args)
    .filter(([, value]) => !isUnset(value))
    .map(([name, value]) => ({ label: labelOf(name), value: valueText(value) }));
}
