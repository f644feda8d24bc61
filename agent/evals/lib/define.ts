/**
 * What an eval case is: a scripted conversation (the person's turns) and what must hold
 * after each turn and after the whole conversation. Checks are written so that a real model
 * can pass them too (patterns, argument subsets), not only the offline model's exact words.
 */

/** An expected value: equal, or matching when a RegExp; objects and arrays are subsets. */
export type Expected =
  | string
  | number
  | boolean
  | null
  | RegExp
  | Expected[]
  | { [key: string]: Expected };

/** A tool the turn must call: its name (or a pattern of names) and a subset of its arguments. */
export type ToolCallCheck = {
  name: string | RegExp;
  args?: Record<string, Expected>;
};

/** Checks on the answer text (case-insensitive `contains`; patterns say their own flags). */
export type AnswerCheck = {
  contains?: string[];
  notContains?: string[];
  matches?: RegExp[];
  notMatches?: RegExp[];
};

export type EvalTurn = {
  /** What the person says. */
  user: string;
  /** Tools this turn must call; an empty list with `onlyThese` means none at all. */
  tools?: ToolCallCheck[];
  /** No other tool may be called in this turn. */
  onlyThese?: boolean;
  /** The listed tools must be called in this order. */
  ordered?: boolean;
  answer?: AnswerCheck;
};

/** The person's data after the conversation, read from the database. */
export type AfterCheck = {
  profile?: Record<string, Expected>;
  workouts?: { count?: number; include?: Array<Record<string, Expected>> };
};

export type EvalCase = {
  name: string;
  turns: EvalTurn[];
  after?: AfterCheck;
  /** Scored by a judge model when EVAL_JUDGE_MODEL is set (1–5; passing is 4 by default). */
  rubric?: string;
};

export type EvalSuite = {
  /** The file's name without `.eval.ts` (set by the loader). */
  id: string;
  /** The behaviour this suite checks, in a sentence. */
  behaviour: string;
  cases: EvalCase[];
};

export function defineSuite(suite: Omit<EvalSuite, "id">): Omit<EvalSuite, "id"> {
  return suite;
}

/** A turn that must call no tool at all. */
export const noTools = { tools: [], onlyThese: true } as const satisfies Partial<EvalTurn>;
