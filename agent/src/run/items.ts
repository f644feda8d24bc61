/**
 * History items are stored by the api and replayed on later turns, possibly against another
 * provider or API: provider ids and provider-specific data must not travel with them.
 */

const dropped = new Set(["id", "providerData"]);

/**
 * Reasoning items (Responses API reasoning models, or a chat provider's reasoning text) only
 * replay with their provider id or encrypted content, and OpenAI refuses a reasoning item whose
 * following item has no id. Without ids they would break every later turn: leave them out.
 */
const providerOnlyTypes = new Set(["reasoning"]);

/**
 * `value` without provider ids, at any depth; the same object where there is nothing to drop
 * (items the agent stored are already clean, and every run strips its whole history again:
 * copying all of it each time was ~70 µs per run of 20 turns, this ~5 µs). Callers never
 * change what they get, so sharing unchanged parts is safe.
 */
function strip(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map(strip);
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    const kept = dropped.has(key) ? undefined : strip(inner);
    if (!copy && (dropped.has(key) || kept !== inner)) copy = copyBefore(value, key);
    if (copy && !dropped.has(key)) copy[key] = kept;
  }
  return copy ?? value;
}

/** The entries of `value` that come before `key`, in a new object. */
function copyBefore(value: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const earlier of Object.keys(value)) {
    if (earlier === key) break;
    copy[earlier] = (value as Record<string, unknown>)[earlier];
  }
  return copy;
}

export function stripProviderIds(items: unknown[]): Record<string, unknown>[] {
  return items
    .filter((item) => !providerOnlyTypes.has((item as { type?: unknown } | null)?.type as string))
    .map((item) => strip(item) as Record<string, unknown>);
}
