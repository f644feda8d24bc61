/**
 * One start for every run, whatever its entrance (a chat turn, a regenerate, a resume after a
 * decision or an expiry; later an edited message or a scheduled check-in), and one way back
 * when a step fails. The steps, in one order:
 *
 *   claim → budget (beside the entrance's reads and the run token: one round of parallel
 *   work) → rows → span attributes → launch
 *
 * Before the rows are stored, a failure undoes exactly the steps taken, newest first (the
 * reservation returned, an empty session it created removed, the claim released), ends the
 * span, and the entrance answers the frame (its replay, `busy`, or the error). Once the rows
 * are stored (or, for a resume, were claimed before the run started) a failure becomes the
 * run's ending: the run is launched with it and ends through the one end path (run-end.ts:
 * charged, stored `failed` or `interrupted` keeping its text, the sockets told). Nothing is
 * left `streaming`, claimed or reserved by a run that gave up.
 *
 * An entrance names only what differs: its reads, how it stores its rows, what its budget
 * counts, and how it answers a run that was not stored.
 */
import { AppError, isInfrastructureFailure } from "@trainer2/shared/errors";
import { ROOT_CONTEXT, recordError, runInSpan, spanNames } from "@trainer2/shared/telemetry";
import { signRunToken } from "@trainer2/shared/tokens";
import type { AgentItem, RunRequest } from "@trainer2/shared/wire";
import type { BudgetHold, TurnToReserve } from "../budgets/budgets.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { failedEnding, Run, type RunEnding, type RunIds } from "./run.ts";
import { driveRun } from "./run-end.ts";
import { RunMeter, requestInputTokens } from "./run-meter.ts";

export type RunKind = "turn" | "regenerate" | "resume";

/** Takes a step to undo if a later one fails before the rows are stored. */
export type Undo = (step: () => unknown) => void;

/** What the agent is asked: the question, the history before it, and a paused run's state. */
export type AgentInput = { input: string; history: AgentItem[]; resume?: RunRequest["resume"] };

/** The rows a run writes, stored (or claimed): its ids, and how to read what the agent gets. */
export type StoredRows = {
  ids: RunIds;
  /** The agent's input (a regenerate reads its history only once its rows are stored). */
  agentInput(): AgentInput | Promise<AgentInput>;
};

export type Entrance<Read> = {
  kind: RunKind;
  userId: string;
  runId: string;
  sessionId: string;
  /** The socket whose frame started the run: it follows the session. None for an expiry. */
  client: Client | undefined;
  /** What its budget counts (see budgets.reserve). */
  budget: Omit<TurnToReserve, "userId" | "runId" | "span">;
  /** Span attributes that say which entrance this is. */
  attributes: Record<string, string | boolean>;
  /** The claim taken before the run started (a resume's, with its decision); else taken here. */
  claimed?: () => void;
  /** Reads in the first round, beside the reservation and the run token. */
  read(undo: Undo): Promise<Read>;
  /**
   * Stores the rows (the question and the answer's placeholder), or, for rows claimed before
   * the run started, returns them. Throws when the run is not to be stored (sent before, busy).
   */
  store(read: Read): Promise<StoredRows>;
  /**
   * Rows that exist before the run started (a resume's claimed answer): the run a failure
   * before launch ends, from what the first round read (undefined when it failed).
   */
  claimedRows?(read: Read | undefined): RunIds;
  /** The answer to a run that was not stored (its replay, busy, the error): may throw. */
  notStored(error: unknown, span: Run["span"]): Promise<void>;
  /** Announce the user's message with `run.started` (a new question). */
  announceQuestion: boolean;
};

/** Starts a run through the one lifecycle; resolves once it is launched or refused. */
export async function startRun<Read>(ctx: RealtimeContext, entrance: Entrance<Read>) {
  const startedAt = performance.now();
  const span = ctx.telemetry.startSpan(
    spanNames.chatTurn,
    {
      "enduser.id": entrance.userId,
      "session.id": entrance.sessionId,
      "chat.run_id": entrance.runId,
      ...entrance.attributes,
    },
    { parent: ROOT_CONTEXT },
  );
  let run: Run | undefined;
  try {
    run = await runInSpan(span, () => setUp(ctx, entrance, span, startedAt));
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    if (!run) span.end();
  }
  if (run) launch(ctx, entrance, run);
}

/** Up to launch: the Run, ready (its agent call planned, or its ending set); none when refused. */
async function setUp<Read>(
  ctx: RealtimeContext,
  entrance: Entrance<Read>,
  span: Run["span"],
  startedAt: number,
): Promise<Run | undefined> {
  const steps: (() => unknown)[] = [];
  const undo: Undo = (step) => steps.push(step);
  // Until the Run is registered (which takes the claim over), a sweep of this process must not
  // take its row for an orphan.
  const unclaim = entrance.claimed ?? ctx.hub.claim(entrance.runId);
  let read: Read | undefined;
  let hold: BudgetHold | undefined;
  let runToken: string | undefined;
  let capabilitiesVersion: string | undefined;
  let rows: StoredRows;
  try {
    ({ read, hold, runToken, capabilitiesVersion } = await firstRound(ctx, entrance, span, undo));
    // A budget refusal (budget_exceeded): before anything is stored or the agent is called.
    hold.allow();
    rows = await entrance.store(read);
  } catch (error) {
    await undoAll(steps);
    // Claimed rows end through the run's end path: the claim passes to the Run at launch.
    if (entrance.claimedRows)
      return failedRun(ctx, entrance.claimedRows(read), span, startedAt, error);
    unclaim();
    await entrance.notStored(error, span);
    return undefined;
  }
  const run = newRun(rows.ids, span, startedAt);
  try {
    const asked = await rows.agentInput();
    const request = runRequest(ctx, entrance, asked, capabilitiesVersion);
    const inputTokens = hold.inputTokens;
    const meter = new RunMeter(
      () => inputTokens ?? requestInputTokens(asked.input, asked.history),
      ctx.budgets.maxOutputTokens,
      run.text.length,
    );
    run.agent = { request, runToken, meter };
  } catch (error) {
    run.ending = endingOf(error);
  }
  return run;
}

/**
 * The first round of parallel work: the entrance's reads, the budget's check and reservation,
 * the run token and the capabilities version. When one part fails, what the others did is
 * undone with the rest (each took its undo as it succeeded).
 */
async function firstRound<Read>(
  ctx: RealtimeContext,
  entrance: Entrance<Read>,
  span: Run["span"],
  undo: Undo,
) {
  const reserved = ctx.budgets
    .reserve({ ...entrance.budget, userId: entrance.userId, runId: entrance.runId, span })
    .then((hold) => {
      undo(() => hold.release());
      return hold;
    });
  const ids = { runId: entrance.runId, userId: entrance.userId, sessionId: entrance.sessionId };
  const [read, hold, runToken, capabilitiesVersion] = await everyOne([
    entrance.read(undo),
    reserved,
    signRunToken(ids, ctx.apiPrivateKey, runTokenTtlSeconds(ctx)),
    // Without the version the agent runs with what it has: never a reason to fail the run.
    ctx.capabilitiesVersion().catch(() => undefined),
  ] as const);
  return { read, hold, runToken, capabilitiesVersion };
}

/**
 * Every promise's value; when one fails, its error once all have settled (so each part that
 * succeeded has taken its undo before the undoing starts).
 */
async function everyOne<T extends readonly unknown[]>(
  work: {
    readonly [K in keyof T]: Promise<T[K]>;
  },
): Promise<T> {
  const results = await Promise.allSettled(work);
  for (const result of results) if (result.status === "rejected") throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** A run token lives no longer than a run may take (the api refuses it once the run ended). */
const runTokenTtlSeconds = (ctx: RealtimeContext) =>
  Math.max(1, Math.ceil(ctx.options.runTimeoutMs / 1000));

/** Undoes the steps taken, newest first; each is tried whatever the others do. */
async function undoAll(steps: (() => unknown)[]) {
  for (const step of steps.reverse())
    await Promise.resolve()
      .then(step)
      .catch(() => {});
}

/** The agent's `/run` body: the question, the history before it, the api's answer cap. */
function runRequest(
  ctx: RealtimeContext,
  entrance: Entrance<unknown>,
  asked: AgentInput,
  capabilitiesVersion: string | undefined,
): RunRequest {
  return {
    runId: entrance.runId,
    userId: entrance.userId,
    sessionId: entrance.sessionId,
    input: asked.input,
    history: asked.history,
    ...(capabilitiesVersion ? { capabilitiesVersion } : {}),
    maxOutputTokens: ctx.budgets.maxOutputTokens,
    ...(asked.resume ? { resume: asked.resume } : {}),
  };
}

/** Rows claimed before the run started, and a step failed: the run ends with the failure. */
function failedRun(
  ctx: RealtimeContext,
  ids: RunIds,
  span: Run["span"],
  startedAt: number,
  error: unknown,
): Run {
  recordError(span, error);
  const run = newRun(ids, span, startedAt);
  run.ending = endingOf(error);
  ctx.logger.warn("a run failed to start", { runId: run.runId, error });
  return run;
}

/** A Run for its rows: it goes on from the answer's stored text and lines (a resumed run's). */
function newRun(ids: RunIds, span: Run["span"], startedAt: number): Run {
  const run = new Run(ids, span, startedAt);
  run.text = ids.placeholder.content;
  run.tools.push(...(ids.placeholder.tools ?? []));
  return run;
}

/** How a run that failed before its agent was called ends: the registry's code for it. */
function endingOf(error: unknown): RunEnding {
  if (error instanceof AppError) return failedEnding(error.code, error.message);
  return failedEnding(isInfrastructureFailure(error) ? "unavailable" : "internal");
}

/**
 * A run under way: registered (the claim becomes the run), the client following the session,
 * `run.started` (after the question, when it is new) to every socket of it, then driven to its
 * stored end, which ends the span.
 */
function launch(ctx: RealtimeContext, entrance: Entrance<unknown>, run: Run) {
  const { hub } = ctx;
  hub.startRun(run);
  if (entrance.client) hub.follow(entrance.client, run.sessionId);
  if (entrance.announceQuestion)
    hub.toSession(run.userId, run.sessionId, {
      type: "message",
      sessionId: run.sessionId,
      message: run.userMessage,
    });
  hub.toSession(run.userId, run.sessionId, run.startedEvent());
  void driveRun(ctx, run);
}
