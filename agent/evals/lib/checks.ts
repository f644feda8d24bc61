/**
 * Every expectation of a case checked against what happened; each failure is one sentence
 * that names the turn, the expectation and what was seen instead.
 */
import type { Profile, Workout } from "@trainer2/shared/wire";
import type { AfterCheck, AnswerCheck, EvalTurn, Expected, ToolCallCheck } from "./define.ts";

/** One tool call as the api recorded it (its audit row). */
export type SeenToolCall = { name: string; args: unknown; status: string };

/** JSON, with patterns written as patterns. */
export const show = (value: unknown): string =>
  value instanceof RegExp
    ? String(value)
    : JSON.stringify(value, (_key, item) => (item instanceof RegExp ? String(item) : item));

/** Why `actual` does not match `expected`, or undefined when it does. */
export function mismatch(expected: Expected, actual: unknown, path = ""): string | undefined {
  const at = path ? `${path}: ` : "";
  if (expected instanceof RegExp)
    return typeof actual === "string" && expected.test(actual)
      ? undefined
      : `${at}expected ${expected}, got ${show(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}expected a list, got ${show(actual)}`;
    for (const [index, item] of expected.entries()) {
      const found = actual.some((candidate) => mismatch(item, candidate) === undefined);
      if (!found) return `${at}no item matches ${show(item)} (item ${index + 1} expected)`;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object")
      return `${at}expected an object, got ${show(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const problem = mismatch(value, (actual as Record<string, unknown>)[key], `${path}${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return Object.is(expected, actual)
    ? undefined
    : `${at}expected ${show(expected)}, got ${show(actual)}`;
}

const nameMatches = (check: ToolCallCheck, name: string) =>
  typeof check.name === "string" ? check.name === name : check.name.test(name);

const describeCall = (check: ToolCallCheck) =>
  `${show(check.name)}${check.args ? ` with ${show(check.args)}` : ""}`;

export function checkTools(turn: EvalTurn, seen: SeenToolCall[], label: string): string[] {
  const failures: string[] = [];
  const wanted = turn.tools ?? [];
  const names = seen.map((call) => call.name);
  let from = 0;
  const used = new Set<number>();
  for (const check of wanted) {
    const candidates = seen
      .map((call, index) => ({ call, index }))
      .filter(({ index }) => !used.has(index) && (!turn.ordered || index >= from));
    const named = candidates.filter(({ call }) => nameMatches(check, call.name));
    const match = named.find(({ call }) => !check.args || !mismatch(check.args, call.args));
    if (match) {
      used.add(match.index);
      from = match.index + 1;
      continue;
    }
    if (named.length === 0)
      failures.push(
        `${label}: expected a call to ${describeCall(check)}; tools called: ${show(names)}`,
      );
    else
      failures.push(
        `${label}: ${show(check.name)} was called, but ${mismatch(check.args!, named[0]!.call.args)}`,
      );
  }
  if (turn.onlyThese && used.size < seen.length) {
    const extra = seen.filter((_, index) => !used.has(index)).map((call) => call.name);
    failures.push(
      wanted.length === 0
        ? `${label}: expected no tool call; tools called: ${show(extra)}`
        : `${label}: unexpected tool calls: ${show(extra)}`,
    );
  }
  return failures;
}

export function checkAnswer(
  check: AnswerCheck | undefined,
  answer: string,
  label: string,
): string[] {
  if (!check) return [];
  const failures: string[] = [];
  const lower = answer.toLowerCase();
  for (const text of check.contains ?? [])
    if (!lower.includes(text.toLowerCase()))
      failures.push(`${label}: expected to contain ${show(text)}`);
  for (const text of check.notContains ?? [])
    if (lower.includes(text.toLowerCase()))
      failures.push(`${label}: expected not to contain ${show(text)}`);
  for (const pattern of check.matches ?? [])
    if (!pattern.test(answer)) failures.push(`${label}: expected to match ${pattern}`);
  for (const pattern of check.notMatches ?? [])
    if (pattern.test(answer)) failures.push(`${label}: expected not to match ${pattern}`);
  return failures;
}

export function checkAfter(
  check: AfterCheck | undefined,
  data: { profile: Profile; workouts: Workout[] },
): string[] {
  if (!check) return [];
  const failures: string[] = [];
  if (check.profile) {
    const problem = mismatch(check.profile, data.profile, "profile.");
    if (problem) failures.push(`after: ${problem}`);
  }
  const workouts = check.workouts;
  if (workouts?.count !== undefined && data.workouts.length !== workouts.count)
    failures.push(
      `after: expected ${workouts.count} workout(s), found ${data.workouts.length}: ${show(data.workouts.map((w) => `${w.durationMin ?? "?"} min ${w.kind}`))}`,
    );
  for (const wanted of workouts?.include ?? []) {
    if (!data.workouts.some((workout) => mismatch(wanted, workout) === undefined))
      failures.push(`after: no workout matches ${show(wanted)}`);
  }
  return failures;
}
