/**
 * Runs the suites: one real stack (api, agent, database from the test kit) with the
 * configured model, every case in turn on a fresh person, each expectation checked, the
 * rubric scored when a judge is set.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type ChatStack, startStack } from "@trainer2/testkit";
import { defaultInstructionsDir, loadInstructions } from "../../src/instructions/load.ts";
import { checkAfter, checkAnswer, checkTools } from "./checks.ts";
import { type Conversation, converse } from "./conversation.ts";
import type { EvalCase, EvalSuite } from "./define.ts";
import { scoreRubric } from "./judge.ts";
import type { CaseResult, EvalRun, RubricResult } from "./results.ts";
import { summarize } from "./results.ts";
import type { EvalSettings } from "./settings.ts";

export const suitesDir = join(import.meta.dir, "../suites");

/** Every `*.eval.ts` of `dir`, sorted by name; a suite's id is its file name. */
export async function loadSuites(dir = suitesDir): Promise<EvalSuite[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".eval.ts")).sort();
  const suites: EvalSuite[] = [];
  for (const file of files) {
    const module = (await import(join(dir, file))) as { default?: Omit<EvalSuite, "id"> };
    if (!module.default?.cases) throw new Error(`${file}: no default export from defineSuite`);
    suites.push({ id: file.replace(/\.eval\.ts$/, ""), ...module.default });
  }
  return suites;
}

export type RunOptions = {
  settings: EvalSettings;
  /** Another instructions folder (a changed prompt); default the agent's own. */
  instructionsDir?: string;
  /** Only cases whose id contains this text. */
  only?: string;
  /** Called after each case (the CLI prints progress). */
  onCase?: (result: CaseResult) => void;
};

function failuresOf(evalCase: EvalCase, conversation: Conversation): string[] {
  const failures: string[] = [];
  for (const [index, turn] of evalCase.turns.entries()) {
    const seen = conversation.transcript[index];
    const label = `turn ${index + 1}`;
    if (!seen) {
      failures.push(`${label}: never ran`);
      continue;
    }
    if (seen.outcome !== "completed") failures.push(`${label}: the run ended with ${seen.outcome}`);
    failures.push(...checkTools(turn, seen.tools, `${label} tools`));
    failures.push(...checkAnswer(turn.answer, seen.answer, `${label} answer`));
  }
  failures.push(...checkAfter(evalCase.after, conversation.data));
  return failures;
}

async function rubricOf(
  evalCase: EvalCase,
  conversation: Conversation,
  settings: EvalSettings,
): Promise<RubricResult | undefined> {
  if (!evalCase.rubric) return undefined;
  if (!settings.judge) return { skipped: "EVAL_JUDGE_MODEL is not set" };
  return scoreRubric(settings.judge, evalCase.rubric, conversation.transcript);
}

async function runCase(
  stack: ChatStack,
  suite: EvalSuite,
  evalCase: EvalCase,
  settings: EvalSettings,
): Promise<CaseResult> {
  const conversation = await converse(stack, evalCase);
  const failures = failuresOf(evalCase, conversation);
  const rubric = await rubricOf(evalCase, conversation, settings);
  if (rubric && "error" in rubric) failures.push(`rubric: ${rubric.error}`);
  if (rubric && "score" in rubric && !rubric.passed)
    failures.push(`rubric: the judge scored ${rubric.score}/5: ${rubric.reason}`);
  const { tokens } = conversation;
  const prices = settings.prices;
  return {
    id: `${suite.id}/${evalCase.name}`,
    suite: suite.id,
    name: evalCase.name,
    passed: failures.length === 0,
    failures,
    turns: evalCase.turns.length,
    tokens,
    latencyMs: conversation.transcript.reduce((sum, turn) => sum + turn.latencyMs, 0),
    costUsd: prices ? tokens.input * prices.input + tokens.output * prices.output : null,
    ...(rubric ? { rubric } : {}),
    transcript: conversation.transcript,
  };
}

export async function runEvals(options: RunOptions): Promise<EvalRun> {
  const { settings } = options;
  const suites = await loadSuites();
  const instructionsDir = options.instructionsDir ?? defaultInstructionsDir;
  const instructions = await loadInstructions(instructionsDir);
  const startedAt = new Date().toISOString();
  const stack = await startStack({ agent: { model: settings.model, instructionsDir } });
  const cases: CaseResult[] = [];
  try {
    for (const suite of suites)
      for (const evalCase of suite.cases) {
        if (options.only && !`${suite.id}/${evalCase.name}`.includes(options.only)) continue;
        const result = await runCase(stack, suite, evalCase, settings);
        cases.push(result);
        options.onCase?.(result);
      }
  } finally {
    await stack.close();
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    model: {
      mode: stack.agent.model.mode,
      name: stack.agent.model.model,
      api: stack.agent.model.api,
    },
    instructionsHash: instructions.hash,
    judge: settings.judge?.model ?? null,
    summary: summarize(cases),
    cases,
  };
}
