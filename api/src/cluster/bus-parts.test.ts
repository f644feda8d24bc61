/**
 * Split messages are put together within bounds: a message never completed is given up
 * after its time, and no more than a bounded number wait at once.
 */
import { expect, test } from "bun:test";
import { PartAssembler } from "./bus-parts.ts";
import { ReplayGuard } from "./bus-seal.ts";

const limits = { maxCount: 10, maxChars: 100, maxPending: 2, maxAgeMs: 1_000 };
const part = (c: string, i: number, k: number, d: string) => ({ p: "x", n: 1, at: 0, c, i, k, d });

test("parts in any order make the message; a part sent twice counts once", () => {
  const parts = new PartAssembler(limits);
  expect(parts.add(part("m", 1, 3, "b"), 0)).toEqual({ held: true });
  expect(parts.add(part("m", 1, 3, "b"), 0)).toEqual({ held: true });
  expect(parts.add(part("m", 0, 3, "a"), 0)).toEqual({ held: true });
  expect(parts.add(part("m", 2, 3, "c"), 0)).toEqual({ done: "abc" });
  expect(parts.size).toBe(0);
});

test("unfinished messages are bounded in number and in age; parts that disagree are dropped", () => {
  const parts = new PartAssembler(limits);
  parts.add(part("one", 0, 2, "a"), 0);
  parts.add(part("two", 0, 2, "a"), 0);
  expect(parts.add(part("three", 0, 2, "a"), 0)).toEqual({ dropped: true });
  expect(parts.add(part("one", 1, 5, "b"), 0)).toEqual({ dropped: true });
  expect(parts.size).toBe(1);
  // Past their age, the waiting ones are given up and counted; room comes back.
  expect(parts.add(part("three", 0, 2, "a"), 2_000)).toEqual({ held: true });
  expect(parts.expired).toBe(1);
  expect(parts.size).toBe(1);
});

test("the replay guard refuses a payload seen before or too old, per sender", () => {
  const guard = new ReplayGuard(60_000);
  const now = 1_000_000;
  expect(guard.accept("a", 1, now, now)).toBe(true);
  expect(guard.accept("a", 1, now, now)).toBe(false);
  expect(guard.accept("b", 1, now, now)).toBe(true);
  expect(guard.accept("a", 2, now, now)).toBe(true);
  expect(guard.accept("a", 3, now - 120_000, now)).toBe(false);
});
