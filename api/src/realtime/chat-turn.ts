/**
 * One chat turn: store the user's message and the assistant's placeholder in one
 * transaction, announce the run, and hand it to run-end.ts, which streams the agent's answer
 * to every socket following the session and stores how it ended. Nothing the user wrote is
 * lost, whatever the agent does.
 */

import {
  findByClientMsgId,
  insertTurn,
  isDuplicateClientMsg,
  isRunStreaming,
  isSessionBusy,
  type StoredTurn,
} from "@trainer2/db/queries/messages";
import { createSession, getOwnedSession, titleFrom } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import { ROOT_CONTEXT, recordError, runInSpan, spanNames } from "@trainer2/shared/telemetry";
import type { ClientFrame } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { resumeSession } from "./resume.ts";
import { Run } from "./run.ts";
import { driveRun } from "./run-end.ts";

type ChatFrame = Extract<ClientFrame, { type: "chat" }>;

/** Handles a `chat` frame: each turn is the root of its own trace (the run ends its span). */
export async function startTurn(ctx: RealtimeContext, client: Client, frame: ChatFrame) {
  const startedAt = performance.now();
  const span = ctx.telemetry.startSpan(
    spanNames.chatTurn,
    {
      "enduser.id": client.userId,
      ...(frame.sessionId ? { "session.id": frame.sessionId } : {}),
    },
    { parent: ROOT_CONTEXT },
  );
  let run: Run | undefined;
  try {
    run = await runInSpan(span, () => setUpTurn(ctx, client, frame, span, startedAt));
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    if (!run) span.end();
  }
  if (run) void driveRun(ctx, run);
}

/** Up to `run.started`: the stored turn and its Run; undefined when it was a replay. */
async function setUpTurn(
  ctx: RealtimeContext,
  client: Client,
  frame: ChatFrame,
  span: Run["span"],
  startedAt: number,
): Promise<Run | undefined> {
  const { hub, sql } = ctx;
  if (await replayedIfSent(ctx, client, frame, span)) return undefined;
  if (frame.sessionId) {
    const owned = await getOwnedSession(sql, client.userId, frame.sessionId);
    if (!owned) throw new AppError("not_found", "Session not found.");
  }
  const runId = crypto.randomUUID();
  // Until the Run is registered, a sweep of this process must not take its row for an orphan.
  const unclaim = hub.claim(runId);
  let stored: { sessionId: string; turn: StoredTurn };
  try {
    stored = await sql.begin(async (tx) => {
      // Refused (budget_exceeded) before anything is stored or any model called.
      await ctx.budgets.reserve(tx, { ...frame, userId: client.userId, runId, span });
      const sessionId =
        frame.sessionId ?? (await createSession(tx, client.userId, titleFrom(frame.text))).id;
      const turn = await insertTurn(tx, {
        sessionId,
        text: frame.text,
        clientMsgId: frame.clientMsgId,
        runId,
        ownerId: hub.bus.processId,
      });
      // Rolled back, the new session with it: the first frame's turn answers this one.
      if ("duplicate" in turn) throw new SentBefore();
      return { sessionId, turn };
    });
  } catch (error) {
    unclaim();
    // The database allows one answer being written per session, whichever process writes it.
    if (isSessionBusy(error))
      throw new AppError("busy", undefined, { details: { clientMsgId: frame.clientMsgId } });
    // A twin of this frame (a retry, or the same frame from another socket) got there first.
    const twin = error instanceof SentBefore || isDuplicateClientMsg(error);
    if (twin && (await replayedIfSent(ctx, client, frame, span))) return undefined;
    throw error;
  }
  const { sessionId, turn } = stored;
  const run = new Run(
    {
      runId,
      userId: client.userId,
      sessionId,
      clientMsgId: frame.clientMsgId,
      userMessage: turn.user,
      placeholder: turn.assistant,
    },
    span,
    startedAt,
  );
  hub.startRun(run);
  hub.follow(client, sessionId);
  hub.toSession(client.userId, sessionId, { type: "message", sessionId, message: turn.user });
  hub.toSession(client.userId, sessionId, run.startedEvent());
  span.setAttributes({ "session.id": sessionId, "chat.run_id": runId });
  return run;
}

/** Thrown inside the turn's transaction to roll it back: the clientMsgId was sent before. */
class SentBefore extends Error {}

/**
 * A frame whose clientMsgId the user already sent (a retry, or a twin from another socket)
 * is answered with what happened to the first one: its replay. False when it is new; a
 * `conflict` naming the first one when this frame names another session.
 */
async function replayedIfSent(
  ctx: RealtimeContext,
  client: Client,
  frame: ChatFrame,
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
