/**
 * One chat turn: store the user's message and the assistant's placeholder in one
 * statement, then call the agent, announce the run, and hand it to
 * run-end.ts, which relays the agent's answer to every socket following the session and
 * stores how it ended. Nothing the user wrote is lost, whatever the agent does.
 */

import {
  findByClientMsgId,
  historyItems,
  insertTurn,
  isRunStreaming,
} from "@trainer2/db/queries/messages";
import {
  createSession,
  deleteEmptySession,
  getOwnedSession,
  titleFrom,
} from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import { ROOT_CONTEXT, recordError, runInSpan, spanNames } from "@trainer2/shared/telemetry";
import type { ClientFrame } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { resumeSession } from "./resume.ts";
import type { Run } from "./run.ts";
import { driveRun } from "./run-end.ts";
import type { AgentCall } from "./run-stream.ts";
import { agentCallParts, launchRun, runRequest, SentBefore, turnNotStored } from "./turn-setup.ts";

type ChatFrame = Extract<ClientFrame, { type: "chat" }>;

/** Handles a `chat` frame: each turn is the root of its own trace (the run ends its span). */
export async function startTurn(ctx: RealtimeContext, client: Client, frame: ChatFrame) {
  await turnInSpan(ctx, client, frame.sessionId, (span, startedAt) =>
    setUpTurn(ctx, client, frame, span, startedAt),
  );
}

/**
 * Sets a turn up (`setUp` stores it, starts the agent call and returns both, or nothing for
 * a replay) as the root of its own trace, then drives the run to its stored end, which ends
 * the span. A chat frame and a regenerate frame (regenerate.ts) both come this way.
 */
export async function turnInSpan(
  ctx: RealtimeContext,
  client: Client,
  sessionId: string | undefined,
  setUp: (span: Run["span"], startedAt: number) => Promise<Started | undefined>,
) {
  const startedAt = performance.now();
  const span = ctx.telemetry.startSpan(
    spanNames.chatTurn,
    { "enduser.id": client.userId, ...(sessionId ? { "session.id": sessionId } : {}) },
    { parent: ROOT_CONTEXT },
  );
  let started: Started | undefined;
  try {
    started = await runInSpan(span, () => setUp(span, startedAt));
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    if (!started) span.end();
  }
  if (started) void driveRun(ctx, started.run, started.call);
}

/** A turn that starts: its Run, and the agent call it has just started. */
export type Started = { run: Run; call: AgentCall };

/**
 * Up to `run.started`: the stored turn, its Run and the agent call; undefined when it was a
 * replay. Kept to two round trips before the agent is called, so the first token follows the
 * model's closely: everything the call needs is read (and the run token signed) in one round
 * of parallel work, then the turn is stored in one statement. The agent is called only once
 * the user's message is durable. A new session is created in the first round, and removed
 * again if the turn is not stored after all.
 */
async function setUpTurn(
  ctx: RealtimeContext,
  client: Client,
  frame: ChatFrame,
  span: Run["span"],
  startedAt: number,
): Promise<Started | undefined> {
  const { hub, sql } = ctx;
  const runId = crypto.randomUUID();
  // Until the Run is registered, a sweep of this process must not take its row for an orphan.
  const unclaim = hub.claim(runId);
  let prepared: Awaited<ReturnType<typeof prepareTurn>> | undefined;
  let turn: Awaited<ReturnType<typeof insertTurn>>;
  try {
    prepared = await prepareTurn(ctx, client, frame, runId, span);
    // A budget refusal (budget_exceeded): before anything is stored or the agent is called.
    prepared.budget.allow();
    turn = await insertTurn(sql, {
      sessionId: prepared.sessionId,
      text: frame.text,
      clientMsgId: frame.clientMsgId,
      runId,
      ownerId: hub.bus.processId,
    });
    if ("duplicate" in turn) throw new SentBefore();
  } catch (error) {
    unclaim();
    void prepared?.budget.release();
    if (prepared?.created) await deleteEmptySession(sql, prepared.sessionId).catch(() => {});
    return turnNotStored(error, { clientMsgId: frame.clientMsgId }, () =>
      replayedIfSent(ctx, client, frame, span),
    );
  }
  const ids = {
    runId,
    userId: client.userId,
    sessionId: prepared.sessionId,
    clientMsgId: frame.clientMsgId,
    userMessage: turn.user,
    placeholder: turn.assistant,
  };
  return launchRun(ctx, client, ids, span, startedAt, {
    request: prepared.request,
    runToken: prepared.runToken,
    announceQuestion: true,
  });
}

/**
 * What the agent call needs, in one round of parallel work: the session's ownership and
 * history (read alongside, used only when owned), the capabilities version and the run token,
 * and the turn's budget checked and reserved; a new session is created here too.
 */
async function prepareTurn(
  ctx: RealtimeContext,
  client: Client,
  frame: ChatFrame,
  runId: string,
  span: Run["span"],
) {
  const { sql } = ctx;
  const sessionId = frame.sessionId ?? crypto.randomUUID();
  const session = frame.sessionId
    ? getOwnedSession(sql, client.userId, frame.sessionId)
    : createSession(sql, client.userId, titleFrom(frame.text), sessionId);
  const reserved = ctx.budgets.reserve({ ...frame, userId: client.userId, runId, span });
  const ids = { runId, userId: client.userId, sessionId };
  const [owned, history, { capabilitiesVersion, runToken }, budget] = await Promise.all([
    session,
    // Every completed turn stored so far (seq is a 4-byte integer).
    frame.sessionId ? historyItems(sql, frame.sessionId, 2 ** 31 - 1) : [],
    agentCallParts(ctx, ids),
    reserved,
  ]).catch(async (error) => {
    // One part failed (the database, mid-round): what the others did is undone first.
    await Promise.allSettled([
      reserved.then((hold) => hold.release()),
      frame.sessionId ? undefined : session.then(() => deleteEmptySession(sql, sessionId)),
    ]);
    throw error;
  });
  if (!owned) {
    void budget.release();
    throw new AppError("not_found", "Session not found.");
  }
  const request = runRequest(ctx, ids, frame.text, history, capabilitiesVersion);
  return { created: !frame.sessionId, sessionId, request, runToken, budget };
}

/**
 * A frame whose clientMsgId the user already sent (a retry, or a twin from another socket)
 * is answered with what happened to the first one: its replay. False when it is new; a
 * `conflict` naming the first one when this frame names another session.
 */
export async function replayedIfSent(
  ctx: RealtimeContext,
  client: Client,
  frame: { sessionId?: string | undefined; clientMsgId: string },
  span: Run["span"],
): Promise<boolean> {
  const sent = await findByClientMsgId(ctx.sql, client.userId, frame.clientMsgId);
  if (!sent) return false;
  if (frame.sessionId && frame.sessionId !== sent.sessionId)
    throw new AppError("conflict", undefined, {
      details: { clientMsgId: frame.clientMsgId, sessionId: sent.sessionId, seq: sent.message.seq },
    });
  span.setAttribute("chat.replayed", true);
  const afterSeq = sent.message.seq - 1;
  await resumeSession(ctx, client, { type: "resume", sessionId: sent.sessionId, afterSeq });
  return true;
}

/** Stops the user's run, whichever api process writes it. */
export async function cancelRun(ctx: RealtimeContext, client: Client, runId: string) {
  const run = ctx.hub.findRun(runId);
  if (run && run.userId === client.userId) return run.stop("cancelled");
  if (!run && (await isRunStreaming(ctx.sql, runId, client.userId)))
    return ctx.hub.cross.cancelElsewhere(runId, client.userId);
  throw new AppError("not_found", "No such run is in progress.");
}
