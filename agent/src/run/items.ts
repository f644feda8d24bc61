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

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).filter(([key]) => !dropped.has(key));
  return Object.fromEntries(entries.map(([key, inner]) => [key, strip(inner)]));
}

export function stripProviderIds(items: unknown[]): Record<string, unknown>[] {
  return items
    .filter((item) => !providerOnlyTypes.has((item as { type?: unknown } | null)?.type as string))
    .map((item) => strip(item) as Record<string, unknown>);
}
