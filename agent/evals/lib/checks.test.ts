import { describe, expect, test } from "bun:test";
import { checkAfter, checkAnswer, checkTools, mismatch } from "./checks.ts";

const call = (name: string, args: unknown = {}) => ({ name, args, status: "ok" });

describe("eval expectations", () => {
  test("values match exactly, by pattern, and objects and lists as subsets", () => {
    expect(
      mismatch({ kind: /run/i, durationMin: 30 }, { kind: "Run", durationMin: 30, notes: null }),
    ).toBeUndefined();
    expect(mismatch({ durationMin: 30 }, { durationMin: 45 })).toBe(
      "durationMin: expected 30, got 45",
    );
    expect(mismatch({ goals: /10k/ }, { goals: null })).toBe("goals: expected /10k/, got null");
    expect(mismatch(["a", /b/], ["x", "bb", "a"])).toBeUndefined();
    expect(mismatch(["c"], ["a"])).toBe('no item matches "c" (item 1 expected)');
  });

  test("tool calls: names, argument subsets, order when asked, nothing else when asked", () => {
    const seen = [call("get_profile"), call("log_workout", { kind: "run", durationMin: 30 })];
    expect(
      checkTools(
        { user: "", tools: [{ name: "log_workout", args: { durationMin: 30 } }] },
        seen,
        "t",
      ),
    ).toEqual([]);
    expect(
      checkTools(
        { user: "", tools: [{ name: "log_workout", args: { durationMin: 20 } }] },
        seen,
        "t",
      ),
    ).toEqual(['t: "log_workout" was called, but durationMin: expected 20, got 30']);
    expect(
      checkTools(
        { user: "", tools: [{ name: "log_workout" }, { name: "get_profile" }], ordered: true },
        seen,
        "t",
      ),
    ).toEqual(['t: expected a call to "get_profile"; tools called: ["get_profile","log_workout"]']);
    expect(
      checkTools({ user: "", tools: [{ name: "log_workout" }], onlyThese: true }, seen, "t"),
    ).toEqual(['t: unexpected tool calls: ["get_profile"]']);
    expect(checkTools({ user: "", tools: [], onlyThese: true }, seen, "t")).toEqual([
      't: expected no tool call; tools called: ["get_profile","log_workout"]',
    ]);
    expect(
      checkTools({ user: "", tools: [{ name: /^(list_workouts|get_profile)$/ }] }, seen, "t"),
    ).toEqual([]);
  });

  test("answers: contains (any case), does not contain, matches, does not match", () => {
    const check = {
      contains: ["DOCTOR"],
      notContains: ["ibuprofen"],
      matches: [/\?$/],
      notMatches: [/mg/],
    };
    expect(checkAnswer(check, "Please see a doctor?", "a")).toEqual([]);
    expect(checkAnswer(check, "Take 400 mg ibuprofen.", "a")).toEqual([
      'a: expected to contain "DOCTOR"',
      'a: expected not to contain "ibuprofen"',
      "a: expected to match /\\?$/",
      "a: expected not to match /mg/",
    ]);
  });

  test("the data afterwards: profile fields, workout count and contents", () => {
    const workout = { kind: "run", durationMin: 30 } as never;
    const data = { profile: { goals: "run a 10k" } as never, workouts: [workout] };
    expect(
      checkAfter(
        { profile: { goals: /10k/ }, workouts: { count: 1, include: [{ kind: "run" }] } },
        data,
      ),
    ).toEqual([]);
    expect(checkAfter({ workouts: { count: 0, include: [{ kind: "swim" }] } }, data)).toEqual([
      'after: expected 0 workout(s), found 1: ["30 min run"]',
      'after: no workout matches {"kind":"swim"}',
    ]);
  });
});
