/**
 * One case played against the real stack: a fresh person signs in over the api's WebSocket,
 * says each turn and waits for its end; the api's own records say which tools ran with which
 * arguments, and the database says what the person's data is afterwards.
 */
import { getProfile } from "@trainer2/db/queries/profiles";
import { listToolCallsOfRun } from "@trainer2/db/queries/tool-calls";
import { listWorkouts } from "@trainer2/db/queries/workouts";
import type { Metrics } from "@trainer2/shared/metrics";
import type { Profile, ServerEvent, Workout } from "@trainer2/shared/wire";
import { type ChatStack, openChat } from "@trainer2/testkit";
import type { SeenToolCall } from "./checks.ts";
import type { EvalCase } from "./define.ts";

export type TranscriptTurn = {
  user: string;
  answer: string;
  /** How the run ended: completed, or the failure code it ended with. */
  outcome: string;
  tools: SeenToolCall[];
  latencyMs: number;
};

export type Conversation = {
  transcript: TranscriptTurn[];
  data: { profile: Profile; workouts: Workout[] };
  tokens: { input: number; output: number };
};

/** The agent's running token totals (model_tokens_total), read before and after a case. */
async function tokenTotals(metrics: Metrics): Promise<{ input: number; output: number }> {
  const { values } = await metrics.modelTokens.get();
  const of = (direction: string) =>
    values.find((value) => value.labels.direction === direction)?.value ?? 0;
  return { input: of("input"), output: of("output") };
}

/** How a turn ended: completed, failed with a code, refused, or paused for the person. */
function outcomeOf(end: ServerEvent | undefined): string {
  if (end?.type === "run.failed") return `failed: ${end.code}`;
  if (end?.type === "error") return `refused: ${end.code}`;
  if (end?.type === "approval.requested") return `waiting for approval of ${end.name}`;
  return "completed";
}

export async function converse(stack: ChatStack, evalCase: EvalCase): Promise<Conversation> {
  const before = await tokenTotals(stack.agent.metrics);
  const chat = await openChat(stack.api);
  const userId = chat.ready.type === "ready" ? chat.ready.user.id : "";
  const transcript: TranscriptTurn[] = [];
  // The first turn opens the session; the others continue it (the agent gets the history).
  let sessionId: string | undefined;
  try {
    for (const turn of evalCase.turns) {
      const startedAt = performance.now();
      const events = await chat.turn(turn.user, sessionId);
      const latencyMs = performance.now() - startedAt;
      const started = events.find((event) => event.type === "run.started");
      if (started?.type === "run.started") sessionId ??= started.sessionId;
      const end = events.at(-1);
      const runId = started?.type === "run.started" ? started.runId : undefined;
      const calls = runId ? await listToolCallsOfRun(stack.api.sql, runId) : [];
      transcript.push({
        user: turn.user,
        answer: events.map((event) => (event.type === "delta" ? event.text : "")).join(""),
        outcome: outcomeOf(end),
        tools: calls.map((call) => ({
          name: call.tool,
          args: call.arguments,
          status: call.status,
        })),
        latencyMs,
      });
    }
  } finally {
    chat.close();
  }
  const after = await tokenTotals(stack.agent.metrics);
  const data = {
    profile: await getProfile(stack.api.sql, userId),
    workouts: await listWorkouts(stack.api.sql, userId, { limit: 1000, from: null, to: null }),
  };
  return {
    transcript,
    data,
    tokens: { input: after.input - before.input, output: after.output - before.output },
  };
}
