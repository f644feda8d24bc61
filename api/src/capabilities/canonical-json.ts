/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, as JSON.stringify would order
 * them if inserted sorted), no whitespace, `undefined` members dropped, arrays in order.
 * The same value always gives the same bytes, so its hash can serve as a version.
 */
import { createHash } from "node:crypto";

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
