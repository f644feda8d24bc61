/**
 * One chat turn: store the user's message and the assistant's placeholder in one
 * transaction, announce the run, and hand it to run-end.ts, which streams the agent's answer
 * to every socket following the session and stores how it ended. Nothing the user wrote is
 * lost, whatever the agent does.
 */

import { findByClientMsgId, insertTurn } from "@trainer2/db/queries/messages";
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
  // A retried frame (same clientMsgId) is answered with what happened to the first one.
  const retried = await findByClientMsgId(sql, client.userId, frame.clientMsgId);
  if (retried && (!frame.sessionId || frame.sessionId === retried.sessionId)) {
    const afterSeq = retried.message.seq - 1;
    span.setAttribute("chat.replayed", true);
    await resumeSession(ctx, client, { type: "resume", sessionId: retried.sessionId, afterSeq });
    return undefined;
  }
  if (frame.sessionId) {
    const owned = await getOwnedSession(sql, client.userId, frame.sessionId);
    if (!owned) throw new AppError("not_found", "Session not found.");
    if (!hub.reserve(frame.sessionId)) throw new AppError("busy");
  }
  const runId = crypto.randomUUID();
  let stored: { sessionId: string; turn: Awaited<ReturnType<typeof insertTurn>> };
  try {
    stored = await sql.begin(async (tx) => {
      const sessionId =
        frame.sessionId ?? (await createSession(tx, client.userId, titleFrom(frame.text))).id;
      const inserted = await insertTurn(tx, {
        sessionId,
        text: frame.text,
        clientMsgId: frame.clientMsgId,
        runId,
      });
      return { sessionId, turn: inserted };
    });
  } catch (error) {
    if (frame.sessionId) hub.release(frame.sessionId);
    throw error;
  }
  const { sessionId, turn } = stored;
  if ("duplicate" in turn) {
    hub.release(sessionId);
    throw new AppError("conflict", undefined, {
      details: { sessionId, seq: turn.duplicate.seq },
    });
  }
  const ids = {
    runId,
    userId: client.userId,
    sessionId,
    clientMsgId: frame.clientMsgId,
    userSeq: turn.user.seq,
    input: frame.text,
    messageId: turn.assistant.id,
    seq: turn.assistant.seq,
  };
  const run = new Run(ids, span, startedAt);
  // An existing session stays reserved until startRun; a new one is unknown to anyone else.
  hub.startRun(run);
  client.sessions.add(sessionId);
  hub.toSession(client.userId, sessionId, { type: "message", sessionId, message: turn.user });
  hub.toSession(client.userId, sessionId, {
    type: "run.started",
    runId,
    sessionId,
    clientMsgId: frame.clientMsgId,
    seq: run.seq,
  });
  span.setAttributes({ "session.id": sessionId, "chat.run_id": runId });
  return run;
}

export function cancelRun(ctx: RealtimeContext, client: Client, runId: string): void {
  const run = ctx.hub.findRun(runId);
  if (!run || run.userId !== client.userId)
    throw new AppError("not_found", "No such run is in progress.");
  run.stop("cancelled");
}
