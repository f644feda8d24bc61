/**
 * The offline model's deterministic decisions: from the conversation so far, either call one
 * of the offered tools or answer in text. Same input, same output, no randomness and no
 * clock except "today" for dates. A few rules of the prompt are followed while the prompt
 * states them (house-rules.ts).
 */
import { build } from "./arguments.ts";
import type { Conversation, OfferedTool, Turn } from "./conversation.ts";
import { deletionRule, medicalRule } from "./house-rules.ts";

export type Decision =
  | { type: "tool_call"; name: string; arguments: Record<string, unknown> }
  | { type: "text"; text: string };

export const offlineNotice =
  "I'm the offline dev model, so I only understand a few plain requests: " +
  '"my goal is …", "I\'m a beginner" (or intermediate / advanced), "log a 30 minute run", ' +
  '"what did I do this week" and "make me a plan"; "use the <name> tool" tries any tool and ' +
  '"repeat after me: …" answers with your text, to see how it renders. To talk to a real ' +
  "model, set OPENAI_API_KEY and " +
  "OPENAI_MODEL (and OPENAI_BASE_URL for another OpenAI-compatible endpoint) for the agent " +
  "and restart it.";

const longStoryTrigger = /\b(tell me a long story|long answer)\b/i;
const planTrigger =
  /\b(make me a (?:training )?plan|training plan|sample week|weekly plan|plan (?:for )?my week)\b/i;
/** Everything after "repeat after me:", exactly (newlines included). */
const repeatTrigger = /^\s*repeat after me:\s?([\s\S]+)$/i;

/**
 * A sample week in Markdown, as a real model answers a request for a plan: emphasis, a
 * table and a numbered list, so `bun dev` shows how answers render (and the browser tests
 * can check it) without a model.
 */
export function samplePlan(): string {
  return [
    "Here is a **sample week** to start from: three runs, a strength day, and rest.",
    "",
    "| Day | Session | Minutes |",
    "| --- | --- | ---: |",
    "| Monday | Easy run | 30 |",
    "| Tuesday | Strength: squats, push-ups, rows | 40 |",
    "| Wednesday | Rest, or an easy walk | 20 |",
    "| Thursday | Intervals: 6 × 2 min fast, 2 min easy | 35 |",
    "| Friday | Rest | 0 |",
    "| Saturday | Long run at an easy pace | 50 |",
    "| Sunday | Mobility and stretching | 20 |",
    "",
    "A few rules that make it work:",
    "",
    "1. Keep most runs *easy*: you should be able to talk in full sentences.",
    "2. Add at most 10% to your weekly minutes.",
    "3. Sleep and rest days are part of the plan, not a break from it.",
    "",
    'Tell me your goal (for example "my goal is to run a 5k") and I\'ll keep it in mind.',
  ].join("\n");
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function daysAgo(days: number): string {
  return isoDate(new Date(Date.now() - days * 86_400_000));
}

/** One paragraph repeated into a long, steady stream of words (for Stop-button tests). */
export function longStory(): string {
  const paragraph =
    "Once upon a time a runner laced up her shoes before dawn, stepped into the cold air " +
    "and promised herself one easy mile. The mile became two, the two became a habit, and " +
    "the habit slowly became the strongest part of her week.";
  return Array.from({ length: 12 }, (_, index) => `Chapter ${index + 1}. ${paragraph}`).join(" ");
}

type Intent = { tools: string[]; wanted: Record<string, unknown> };

function profileIntent(text: string): Intent | undefined {
  const wanted: Record<string, unknown> = {};
  const goal = text.match(/\bmy goal is\s+(.+)/i)?.[1];
  if (goal) wanted.goals = goal.split(/[.!?](?:\s|$)/)[0]!.trim();
  const level = text.match(/\bI(?:'|’)?m (?:an? )?(beginner|intermediate|advanced)\b/i)?.[1];
  const levelAlt = text.match(/\bI am (?:an? )?(beginner|intermediate|advanced)\b/i)?.[1];
  const experience = (level ?? levelAlt)?.toLowerCase();
  if (experience) {
    wanted.experienceLevel = experience;
    wanted.experience_level = experience;
  }
  return Object.keys(wanted).length > 0 ? { tools: ["update_profile"], wanted } : undefined;
}

function workoutIntent(text: string): Intent | undefined {
  const match = text.match(
    /\blog\b(?:\s+(?:a|an|my))?\s+(\d+(?:\.\d+)?)[\s-]*(minutes?|mins?|hours?|km)\b(?:\s+(?:of\s+)?([a-z]+))?/i,
  );
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  const kind = (match[3] ?? "workout").toLowerCase();
  // No date: the tools take "today" as the default, in the api's own calendar.
  const wanted: Record<string, unknown> = { kind };
  if (unit === "km") wanted.distanceKm = amount;
  else wanted.durationMin = unit.startsWith("h") ? amount * 60 : amount;
  return { tools: ["log_workout"], wanted };
}

function weekIntent(text: string): Intent | undefined {
  if (!/\b(what did i do|this week|my week|weekly review)\b/i.test(text)) return undefined;
  return {
    tools: ["get_training_summary", "list_workouts"],
    wanted: { weeks: 1, days: 7, from: daysAgo(6), to: daysAgo(0), limit: 20 },
  };
}

/** "use the echo tool: hello" calls any offered tool by name (a new tool works in dev at once). */
function namedToolIntent(text: string): Intent | undefined {
  const match = text.match(/\buse (?:the )?([a-z][a-z0-9_]*) tool\b(?:\s*:\s*(.+))?/i);
  if (!match) return undefined;
  return { tools: [match[1]!.toLowerCase()], wanted: match[2] ? { text: match[2].trim() } : {} };
}

function describeArgs(args: Record<string, unknown>): string {
  return Object.entries(args)
    .filter(([, value]) => value !== null && value !== "" && !Array.isArray(value))
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(", ");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeRecord(record: Record<string, unknown>): string {
  const kind = record.kind ?? record.name ?? "workout";
  const minutes = record.durationMin ?? record.duration_min;
  const date = record.performedOn ?? record.performed_on ?? record.date;
  return [minutes != null ? `${minutes} min` : "", kind, date ? `on ${date}` : ""]
    .filter(Boolean)
    .join(" ");
}

/** A readable sentence about a tool's result, whatever its exact shape. */
function describeResult(result: unknown): string {
  if (Array.isArray(result)) {
    if (result.length === 0) return "nothing logged yet";
    const listed = result
      .slice(0, 5)
      .map((entry) =>
        typeof entry === "object" && entry ? describeRecord(entry as Record<string, unknown>) : "",
      )
      .filter(Boolean);
    return `${result.length} ${result.length === 1 ? "entry" : "entries"}: ${listed.join("; ")}`;
  }
  if (typeof result !== "object" || result === null) return String(result);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (Array.isArray(value)) parts.push(`${key}: ${describeResult(value)}`);
    else if (value !== null && typeof value !== "object") parts.push(`${key}: ${String(value)}`);
  }
  return parts.join(", ") || "done";
}

/** "delete my last workout": a request precise enough to act on when the tool asks the person. */
const lastWorkoutTrigger =
  /\b(?:delete|remove)\s+my\s+(?:last|latest|most recent)\s+(?:workout|run|session|training)\b/i;

/**
 * A delete tool that has the person approve each call (its description says so) is called at
 * once for a precise request: first list_workouts for the id, then the deletion.
 */
function lastWorkoutDeletion(text: string, tools: OfferedTool[]): Decision | undefined {
  if (!lastWorkoutTrigger.test(text)) return undefined;
  const remove = tools.find((tool) => tool.name === "delete_workout");
  const list = tools.find((tool) => tool.name === "list_workouts");
  if (!remove || !list || !/approve/i.test(remove.description ?? "")) return undefined;
  return { type: "tool_call", name: list.name, arguments: build(list.parameters, { limit: 1 }) };
}

function deleteAfterListing(
  text: string,
  call: Turn & { kind: "tool_call" },
  output: string,
  tools: OfferedTool[],
): Decision | undefined {
  if (call.name !== "list_workouts" || !lastWorkoutTrigger.test(text)) return undefined;
  const remove = tools.find((tool) => tool.name === "delete_workout");
  const parsed = parseJson(output) as { result?: { workouts?: { id?: string }[] } };
  const id = parsed?.result?.workouts?.[0]?.id;
  if (!remove) return undefined;
  if (!id)
    return { type: "text", text: "You have no workouts logged, so there is nothing to delete." };
  return { type: "tool_call", name: remove.name, arguments: { workoutId: id } };
}

function answerFromTool(call: Turn & { kind: "tool_call" }, output: string): string {
  const parsed = parseJson(output) as { result?: unknown; error?: unknown };
  if (parsed && typeof parsed === "object" && "error" in parsed) {
    const error = parsed.error as { code?: string; message?: string } | undefined;
    if (error?.code === "approval_rejected" || error?.code === "approval_expired")
      return `Okay, I did not do it: ${error.message ?? "it was not approved"}`;
    return `Sorry, I couldn't do that: ${error?.message ?? "the tool reported an error"}.`;
  }
  const result =
    parsed && typeof parsed === "object" && "result" in parsed ? parsed.result : parsed;
  const record = (typeof result === "object" && result ? result : {}) as Record<string, unknown>;
  const args = parseJson(call.arguments);
  const argsText = typeof args === "object" && args ? describeArgs(args as never) : "";
  if (call.name === "update_profile")
    return `Got it, I've updated your profile (${argsText}). What would you like to work on next?`;
  if (call.name === "delete_workout") {
    const deleted = record.deleted as Record<string, unknown> | undefined;
    return `Done: I deleted your ${deleted ? describeRecord(deleted) : "workout"}.`;
  }
  if (call.name === "log_workout") {
    const workout = record.workout as Record<string, unknown> | undefined;
    return `Logged your ${workout ? describeRecord(workout) : argsText}. Nice work, keep it up!`;
  }
  const totals = record.totals as { workouts?: number; minutes?: number } | undefined;
  if (totals)
    return `This week you did ${totals.workouts ?? 0} workout(s), ${totals.minutes ?? 0} minutes in total. Keep going!`;
  return `Here is what I found: ${describeResult(result)}.`;
}

function pick(intent: Intent, tools: OfferedTool[]): OfferedTool | undefined {
  for (const name of intent.tools) {
    const offered = tools.find((tool) => tool.name === name);
    if (offered) return offered;
  }
  return undefined;
}

export function decide(conversation: Conversation): Decision {
  const { turns, tools } = conversation;
  const lastUser = turns.findLastIndex((turn) => turn.kind === "user");
  const text = lastUser >= 0 ? (turns[lastUser] as { text: string }).text : "";
  const thisTurn = turns.slice(lastUser + 1);
  const result = thisTurn.findLast((turn) => turn.kind === "tool_result");
  if (result) {
    const call = thisTurn.find(
      (turn): turn is Turn & { kind: "tool_call" } =>
        turn.kind === "tool_call" && turn.callId === result.callId,
    );
    const next = call && deleteAfterListing(text, call, result.output, tools);
    if (next) return next;
    if (call) return { type: "text", text: answerFromTool(call, result.output) };
  }
  const deletion = lastWorkoutDeletion(text, tools);
  if (deletion) return deletion;
  const repeated = text.match(repeatTrigger)?.[1];
  if (repeated) return { type: "text", text: repeated };
  if (longStoryTrigger.test(text)) return { type: "text", text: longStory() };
  const named = namedToolIntent(text);
  const ruled = named ? undefined : deletionRule(conversation, text);
  if (ruled) return ruled;
  // "Plan my week" asks for a plan, not for what was done this week.
  const plan = planTrigger.test(text);
  const intent =
    named ?? profileIntent(text) ?? workoutIntent(text) ?? (plan ? undefined : weekIntent(text));
  if (!intent)
    return (
      medicalRule(conversation, text) ?? {
        type: "text",
        text: plan ? samplePlan() : offlineNotice,
      }
    );
  const tool = pick(intent, tools);
  if (!tool)
    return {
      type: "text",
      text: `I would use the ${intent.tools[0]} tool for that, but it is not available right now.`,
    };
  return { type: "tool_call", name: tool.name, arguments: build(tool.parameters, intent.wanted) };
}
