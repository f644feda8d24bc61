/**
 * Wire contracts between browser, api and agent. These zod schemas are the single source
 * of truth: every service parses what it receives with them and types what it sends.
 */
import { z } from "zod";
import { errorBody } from "./errors.ts";
import { failureCode } from "./failures.ts";

export const uuid = z.uuid();
const isoDateTime = z.string();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD");

// ---------- domain records as they travel ----------

export const experienceLevel = z.enum(["beginner", "intermediate", "advanced"]);
export const units = z.enum(["metric", "imperial"]);
export const messageRole = z.enum(["user", "assistant"]);
/**
 * `streaming` exists only while a run is in flight; a crash leaves it to be marked interrupted.
 * `awaiting_approval`: the run paused until the person decides on a tool call (it holds the
 * session as `streaming` does, survives restarts, and streams on once decided).
 */
export const messageStatus = z.enum([
  "complete",
  "streaming",
  "awaiting_approval",
  "interrupted",
  "failed",
]);

export const userDto = z.object({
  id: uuid,
  email: z.string().nullable(),
  name: z.string().nullable(),
  picture: z.string().nullable(),
});

export const profileDto = z.object({
  displayName: z.string().nullable(),
  goals: z.string().nullable(),
  experienceLevel: experienceLevel.nullable(),
  equipment: z.array(z.string()),
  limitations: z.string().nullable(),
  units,
  updatedAt: isoDateTime,
});

export const exerciseDto = z.object({
  name: z.string(),
  sets: z.number().int().nullable(),
  reps: z.number().int().nullable(),
  weightKg: z.number().nullable(),
  distanceKm: z.number().nullable(),
  durationMin: z.number().nullable(),
});

export const workoutDto = z.object({
  id: uuid,
  performedOn: isoDate,
  kind: z.string(),
  durationMin: z.number().int().nullable(),
  exercises: z.array(exerciseDto),
  notes: z.string().nullable(),
  createdAt: isoDateTime,
});

export const toolStatus = z.enum(["started", "ok", "error"]);

/**
 * One tool line of an assistant message, as the person saw it live: `summary` is the
 * sentence shown, worded by the tool's own definition (its `activity`) or, for a failure,
 * the tool's error message. Stored with the message when its run ends (ended calls only).
 */
export const messageToolDto = z.object({
  name: z.string(),
  status: toolStatus,
  summary: z.string().optional(),
});

export const messageDto = z.object({
  id: uuid,
  seq: z.number().int().positive(),
  role: messageRole,
  content: z.string(),
  status: messageStatus,
  runId: uuid.nullable(),
  clientMsgId: z.string().nullable(),
  createdAt: isoDateTime,
  /**
   * Assistant messages: the run's tool lines, oldest first, as stored with the answer, so a
   * reload shows the same lines as the live page. Absent on user messages.
   */
  tools: z.array(messageToolDto).optional(),
  /** Why an interrupted or failed answer ended: the `run.failed` code (failure registry). */
  errorCode: failureCode.nullable().optional(),
});

/** One ISO week of training (Monday to Sunday): what `get_training_summary` reads, per week. */
export const weekSummaryDto = z.object({
  /** Monday of the week, YYYY-MM-DD. */
  weekStart: isoDate,
  /** e.g. 2026-W48 */
  isoWeek: z.string(),
  workouts: z.number().int().min(0),
  /** Workouts without a duration count as 0. */
  minutes: z.number().int().min(0),
});

export const sessionSummaryDto = z.object({
  id: uuid,
  title: z.string().nullable(),
  updatedAt: isoDateTime,
});

/** How a tool call waiting for the person's decision is shown to them (`approval.requested`). */
export const approvalDto = z.object({
  runId: uuid,
  /** The model's call id: what the decision names. */
  callId: z.string(),
  /** The tool's name. */
  name: z.string(),
  /** The arguments the tool would run with, as the model gave them. */
  arguments: z.record(z.string(), z.unknown()),
  /** One sentence for the person, worded by the tool's own definition. */
  summary: z.string(),
  /** After this the call is rejected by itself (the model is told it expired). */
  expiresAt: isoDateTime,
});

export const sessionDto = z.object({
  id: uuid,
  title: z.string().nullable(),
  /** Oldest first; the most recent 200 at most. */
  messages: z.array(messageDto),
  /** Tool calls of this chat waiting for the person's decision, oldest first. */
  approvals: z.array(approvalDto).optional(),
});

/** The limits a turn can hit (api/src/budgets/): model tokens per day, turns per minute, runs at once. */
export const budgetLimit = z.enum(["daily_tokens", "turns_per_minute", "concurrent_runs"]);

/** What the person has left today, when a daily token limit applies to them. */
export const budgetDto = z.object({
  /** The day's limit in model tokens (input + output). */
  dailyTokens: z.number().int().positive(),
  /** Tokens the person's finished turns used today (at most what is left is shown). */
  usedTokens: z.number().int().min(0),
  /** When the day rolls over (UTC midnight unless the server is set to another zone). */
  resetsAt: isoDateTime,
});

/** `GET /state?sessionId=` and the `state` event. */
export const stateDto = z.object({
  user: userDto,
  profile: profileDto,
  session: sessionDto.nullable(),
  /** The user's sessions, most recently active first (at most 50). */
  sessions: z.array(sessionSummaryDto),
  /** The user's most recent workouts, newest first (at most 10). */
  workouts: z.array(workoutDto),
  /** Training per week over the last 8 weeks, oldest first, ending with the current week. */
  trainingWeeks: z.array(weekSummaryDto),
  /** True when the agent answers with the offline dev model rather than a real one. */
  offlineModel: z.boolean().optional(),
  /** Today's token budget; absent or null when no daily limit applies. */
  budget: budgetDto.nullable().optional(),
});

// ---------- WebSocket /realtime: client → server ----------

export const maxChatTextLength = 8000;

export const authFrame = z.object({ type: z.literal("auth"), token: z.string().min(1) });
export const chatFrame = z.object({
  type: z.literal("chat"),
  sessionId: uuid.optional(),
  text: z.string().trim().min(1, "text must not be empty").max(maxChatTextLength),
  clientMsgId: z.string().min(1).max(100),
});
export const cancelFrame = z.object({ type: z.literal("cancel"), runId: uuid });
export const pingFrame = z.object({ type: z.literal("ping") });
export const resumeFrame = z.object({
  type: z.literal("resume"),
  sessionId: uuid,
  afterSeq: z.number().int().min(0),
});

/**
 * Answer the session's last message again: a new run for the last user message, its answer
 * after the old one (which the web then hides, and the agent's context leaves out).
 * `clientMsgId` makes a re-sent frame start one run only.
 */
export const regenerateFrame = z.object({
  type: z.literal("regenerate"),
  sessionId: uuid,
  clientMsgId: z.string().min(1).max(100),
});

export const maxApprovalReasonLength = 500;
export const approvalDecision = z.enum(["approve", "reject"]);

/** The person's decision on one tool call waiting for it (only theirs, once per call). */
export const approvalFrame = z.object({
  type: z.literal("approval"),
  runId: uuid,
  callId: z.string().min(1).max(200),
  decision: approvalDecision,
  reason: z.string().trim().max(maxApprovalReasonLength).optional(),
});

export const clientFrame = z.discriminatedUnion("type", [
  authFrame,
  chatFrame,
  cancelFrame,
  pingFrame,
  resumeFrame,
  regenerateFrame,
  approvalFrame,
]);

// ---------- HTTP: a person's chats and account ----------

export const maxSessionTitleLength = 80;

/** `PATCH /sessions/:id` */
export const renameSessionBody = z.strictObject({
  title: z
    .string()
    .trim()
    .min(1, "title must not be empty")
    .max(maxSessionTitleLength, `title must be at most ${maxSessionTitleLength} characters`),
});

/** `DELETE /account`: the account's email, typed again by the person as their confirmation. */
export const deleteAccountBody = z.strictObject({
  email: z.string().trim().min(1, "email must not be empty").max(254),
});

// ---------- WebSocket /realtime: server → client ----------

export const readyEvent = z.object({
  type: z.literal("ready"),
  user: userDto,
  sessionId: uuid.nullable(),
});
/** A stored message the client may not have: the user's own (echoed to every socket) or a replay. */
export const messageEvent = z.object({
  type: z.literal("message"),
  sessionId: uuid,
  message: messageDto,
});
export const runStartedEvent = z.object({
  type: z.literal("run.started"),
  runId: uuid,
  sessionId: uuid,
  clientMsgId: z.string(),
  /** seq of the assistant message this run writes. */
  seq: z.number().int(),
});
export const deltaEvent = z.object({
  type: z.literal("delta"),
  runId: uuid,
  sessionId: uuid,
  seq: z.number().int(),
  /** Character offset of `text` in the answer: lets a resumed client drop what it already has. */
  offset: z.number().int().min(0),
  text: z.string(),
});
export const toolEvent = z.object({
  type: z.literal("tool"),
  runId: uuid,
  sessionId: uuid,
  seq: z.number().int(),
  name: z.string(),
  status: toolStatus,
  summary: z.string().optional(),
});
export const runCompletedEvent = z.object({
  type: z.literal("run.completed"),
  runId: uuid,
  sessionId: uuid,
  seq: z.number().int(),
  messageId: uuid,
});
export const runFailedEvent = z.object({
  type: z.literal("run.failed"),
  runId: uuid,
  sessionId: uuid,
  seq: z.number().int(),
  code: failureCode,
  message: z.string(),
});
export const stateEvent = z.object({ type: z.literal("state"), state: stateDto });
/** A frame that could not be served; the connection stays open. Details name what it was about. */
export const errorEvent = z.object({
  type: z.literal("error"),
  code: failureCode,
  message: z.string(),
  clientMsgId: z.string().optional(),
  sessionId: uuid.optional(),
  seq: z.number().int().optional(),
  /** The refusal of an `approval` frame names the call it answers. */
  runId: uuid.optional(),
  callId: z.string().optional(),
  /** `budget_exceeded`: the limit that was hit, and when it resets (none for runs at once). */
  limit: budgetLimit.optional(),
  resetsAt: isoDateTime.optional(),
  /** `rate_limited`: seconds until the person's budget of requests allows this one again. */
  retryAfterS: z.number().int().min(0).optional(),
});
export const pongEvent = z.object({ type: z.literal("pong") });
/** A tool call of the run waits for the person: the answer (seq) is paused until they decide. */
export const approvalRequestedEvent = approvalDto.extend({
  type: z.literal("approval.requested"),
  sessionId: uuid,
  seq: z.number().int(),
});
/** A decision was recorded (by the person, on any socket, or by the expiry). */
export const approvalDecidedEvent = z.object({
  type: z.literal("approval.decided"),
  runId: uuid,
  sessionId: uuid,
  callId: z.string(),
  decision: z.enum(["approved", "rejected", "expired"]),
});

export const serverEvent = z.discriminatedUnion("type", [
  readyEvent,
  messageEvent,
  runStartedEvent,
  deltaEvent,
  toolEvent,
  runCompletedEvent,
  runFailedEvent,
  stateEvent,
  errorEvent,
  pongEvent,
  approvalRequestedEvent,
  approvalDecidedEvent,
]);

// ---------- api → agent: POST /run ----------

/** The agent's history items, provider ids stripped; opaque to the api. */
export const agentItem = z.record(z.string(), z.unknown());

export const runRequest = z.object({
  runId: uuid,
  userId: uuid,
  sessionId: uuid,
  input: z.string().min(1),
  history: z.array(agentItem),
  /**
   * The capabilities version the api publishes now: an agent that has another syncs first,
   * so any of several agents behind one URL runs with the tools the api has.
   */
  capabilitiesVersion: z.string().optional(),
  /** The cap on each model answer, passed to the model as max_output_tokens / max_tokens. */
  maxOutputTokens: z.number().int().positive().optional(),
  /**
   * A run that paused for approval, going on: its serialized RunState (as the agent's
   * `approval.required` gave it) and the person's decision on each pending call. `history`
   * is then the history the paused run was given, and `input` its user message.
   */
  resume: z
    .object({
      state: z.string().min(1),
      decisions: z.array(
        z.object({
          callId: z.string(),
          decision: approvalDecision,
          /** Told to the model when the call is rejected (or expired). */
          message: z.string().optional(),
        }),
      ),
    })
    .optional(),
});

/** What a run used so far (all its model calls together), and the model that used it. */
export const usageDto = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  model: z.string().optional(),
});

/** One NDJSON line of the `/run` response stream. */
export const runStreamEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("delta"), text: z.string() }),
  z.object({
    type: z.literal("tool"),
    name: z.string(),
    status: toolStatus,
    summary: z.string().optional(),
    callId: z.string().optional(),
  }),
  z.object({
    type: z.literal("completed"),
    output: z.string(),
    items: z.array(agentItem),
    usage: usageDto.optional(),
  }),
  z.object({
    type: z.literal("failed"),
    code: failureCode,
    message: z.string(),
    usage: usageDto.optional(),
  }),
  /** After each model call: the run's usage so far, so a run stopped early is still counted. */
  z.object({ type: z.literal("usage"), usage: usageDto }),
  /**
   * The run paused: tool calls need the person's approval. `state` is the SDK's serialized
   * RunState (resume with `runRequest.resume`); the last line of the stream.
   */
  z.object({
    type: z.literal("approval.required"),
    state: z.string(),
    calls: z.array(
      z.object({
        callId: z.string(),
        name: z.string(),
        arguments: z.record(z.string(), z.unknown()),
      }),
    ),
    usage: usageDto.optional(),
  }),
]);

// ---------- agent → api: capabilities and tools ----------

export const tableColumnDto = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  description: z.string(),
});
export const tableCardDto = z.object({
  name: z.string(),
  description: z.string(),
  columns: z.array(tableColumnDto),
});
/** Tool and table names: snake_case, at most 64 characters (they become file names too). */
export const toolNamePattern = /^[a-z][a-z0-9_]{0,63}$/;

/** How a tool's line reads to the person while it runs, once done, and when it failed. */
export const toolActivityDto = z.object({
  running: z.string().min(1),
  done: z.string().min(1),
  failed: z.string().min(1),
});

/**
 * Whether a call waits for the person's approval: `always`, `never`, or `conditional` (the api
 * decides per call from its arguments and the person's data: the agent asks it).
 */
export const toolApprovalMode = z.enum(["always", "never", "conditional"]);

/** POST /tools/:name/approval: whether this call of a `conditional` tool waits for the person. */
export const approvalNeededResponse = z.object({ result: z.object({ needed: z.boolean() }) });

export const toolSpecDto = z.object({
  name: z.string().regex(toolNamePattern, "tool names are snake_case, at most 64 characters"),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  activity: toolActivityDto,
  /** Absent: never (surfaces published before approvals existed). */
  approval: toolApprovalMode.optional(),
});
export const capabilitiesDto = z.object({
  version: z.string(),
  tools: z.array(toolSpecDto),
  tables: z.array(tableCardDto),
});

export const toolIssueDto = z.object({ path: z.string(), message: z.string() });
/**
 * The answer of `POST /tools/:name`, handed to the model as the tool's output: `{result}`,
 * or the one error body (`invalid_arguments` also lists `issues`).
 */
export const toolResponse = z.union([z.object({ result: z.unknown() }), errorBody]);

/** Headers of agent → api calls besides `Authorization: Bearer <agent JWT>`. */
export const headers = {
  runToken: "x-run-token",
  toolCallId: "x-tool-call-id",
  /** Detached compact JWS (the api's key) over the exact bytes of the /capabilities body. */
  capabilitiesSignature: "x-capabilities-signature",
} as const;

export type User = z.infer<typeof userDto>;
export type Profile = z.infer<typeof profileDto>;
export type Exercise = z.infer<typeof exerciseDto>;
export type Workout = z.infer<typeof workoutDto>;
export type Message = z.infer<typeof messageDto>;
export type MessageTool = z.infer<typeof messageToolDto>;
export type SessionSummary = z.infer<typeof sessionSummaryDto>;
export type WeekSummary = z.infer<typeof weekSummaryDto>;
export type Session = z.infer<typeof sessionDto>;
export type State = z.infer<typeof stateDto>;
export type Budget = z.infer<typeof budgetDto>;
export type BudgetLimit = z.infer<typeof budgetLimit>;
export type Usage = z.infer<typeof usageDto>;
export type ClientFrame = z.infer<typeof clientFrame>;
export type ServerEvent = z.infer<typeof serverEvent>;
export type RunRequest = z.infer<typeof runRequest>;
export type RunStreamEvent = z.infer<typeof runStreamEvent>;
export type AgentItem = z.infer<typeof agentItem>;
export type TableCard = z.infer<typeof tableCardDto>;
export type ToolSpec = z.infer<typeof toolSpecDto>;
export type ToolActivity = z.infer<typeof toolActivityDto>;
export type Capabilities = z.infer<typeof capabilitiesDto>;
export type ToolResponse = z.infer<typeof toolResponse>;
export type Approval = z.infer<typeof approvalDto>;
export type ToolApprovalMode = z.infer<typeof toolApprovalMode>;
export type ApprovalDecision = z.infer<typeof approvalDecision>;
