/**
 * Postgres refuses U+0000 in text and jsonb ("unsupported Unicode escape sequence"). Text
 * that comes from a model or a tool call may contain it; one such character must not make a
 * write fail (an answer left `streaming`, a tool call missing from the audit). It becomes
 * U+FFFD, which keeps every string's length, so streamed character offsets still line up.
 */
const nul = "\u0000";
export const nulReplacement = "\uFFFD";

export function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes(nul);
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === "object")
    return Object.entries(value).some(([key, item]) => key.includes(nul) || containsNul(item));
  return false;
}

/** `value` with every U+0000 in strings and object keys replaced; the same value if none. */
export function withoutNul<T>(value: T): T {
  if (!containsNul(value)) return value;
  if (typeof value === "string") return value.replaceAll(nul, nulReplacement) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key.replaceAll(nul, nulReplacement),
      withoutNul(item),
    ]),
  ) as T;
}
