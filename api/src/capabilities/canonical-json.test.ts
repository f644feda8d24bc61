import { describe, expect, test } from "bun:test";
import { canonicalJson, sha256Hex } from "./canonical-json.ts";

describe("canonical JSON", () => {
  test("sorts keys at every depth, keeps array order, drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  test("key insertion order does not change the bytes or the hash", () => {
    const one = canonicalJson({ x: 1, y: "é" });
    const two = canonicalJson({ y: "é", x: 1 });
    expect(one).toBe(two);
    expect(sha256Hex(one)).toBe(sha256Hex(two));
    expect(sha256Hex(one)).toMatch(/^[0-9a-f]{64}$/);
  });
});
