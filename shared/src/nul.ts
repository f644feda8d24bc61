/**
 * Postgres refuses U+0000 in text and jsonb ("unsupported Unicode escape sequence"), so a
 * NUL is handled the same two ways everywhere:
 * - input a person or a tool call sends is refused, naming where the NUL is (`nulPath`), so
 *   the sender learns what to fix and nothing is half-written;
 * - output of a model (an answer, its items, a tool's result) is stored with each NUL
 *   replaced (`withoutNul`): one such character must not make a write fail and leave an
 *   answer `streaming` or a tool call out of the audit. U+FFFD keeps every string's length,
 *   so streamed character offsets still line up.
 */
const nul = "\u0000";
export const nulReplacement = "\uFFFD";

/** Where the first NUL sits in `value` (strings, array items, object keys and values). */
export function nulPath(value: unknown, path: PropertyKey[] = []): PropertyKey[] | null {
  if (typeof value === "string") return value.includes(nul) ? path : null;
  if (value && typeof value === "object") {
    const isArray = Array.isArray(value);
    for (const [key, item] of Object.entries(value)) {
      const at = [...path, isArray ? Number(key) : key];
      if (key.includes(nul)) return at;
      const found = nulPath(item, at);
      if (found) return found;
    }
  }
  return null;
}

/** `value` with every NUL in strings and object keys replaced; the same value if none. */
export function withoutNul<T>(value: T): T {
  if (nulPath(value) === null) return value;
  if (typeof value === "string") return value.replaceAll(nul, nulReplacement) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key.replaceAll(nul, nulReplacement),
      withoutNul(item),
    ]),
  ) as T;
}

/** What a refusal says after naming where the NUL is. */
export const nulRefusal = "must not contain NUL characters";
