/**
 * One chat turn: store the user's message and the assistant's placeholder in one
 * transaction, announce the run, stream the agent's answer to every socket following the
 * session, and store how it ended. Nothing the user wrote is lost, whatever the agent does.
 */

import {
  findByClientMsgId,
  finishAssistantMessage,
  insertTurn,
} from "@trainer2/db/queries/messages";
import { createSession, getOwnedSession, titleFrom } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import { failureMessages } from "@trainer2/shared/failures";
import type { TurnOutcome } from "@trainer2/shared/metrics";
import {
  ROOT_CONTEXT,
  recordError,
  runInSpan,
  SpanStatusCode,
  spanNames,
} from "@trainer2/shared/telemetry";
import type { ClientFrame, Message } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { ActiveRun, Client } from "./hub.ts";
import { resumeSession } from "./resume.ts";
import { type Outcome, RunStop, streamOutcome, type Turn } from "./run-stream.ts";

type ChatFrame = Extract<ClientFrame, { type: "chat" }>;

/** Handles a `chat` frame: each turn is the root of its own trace (spans end with the run). */
export async function startTurn(ctx: RealtimeContext, client: Client, frame: ChatFrame) {
  const turn: Turn = {
    span: ctx.telemetry.startSpan(
      spanNames.chatTurn,
      {
        "enduser.id": client.userId,
        ...(frame.sessionId ? { "session.id": frame.sessionId } : {}),
      },
      { parent: ROOT_CONTEXT },
    ),
    startedAt: performance.now(),
  };
  let running = false;
  try {
    running = await runInSpan(turn.span, () => setUpTurn(ctx, client, frame, turn));
  } catch (error) {
    recordError(turn.span, error);
    throw error;
  } finally {
    if (!running) turn.span.end();
  }
}

/**
 * Up to `run.started`; the run itself continues in the background (true: it owns the turn's
 * span from here and ends it).
 */
async function setUpTurn(
  ctx: RealtimeContext,
  client: Client,
  frame: ChatFrame,
  turn: Turn,
): Promise<boolean> {
  const { hub, sql } = ctx;
  // A retried frame (same clientMsgId) is answered with what happened to the first one.
  const retried = await findByClientMsgId(sql, client.userId, frame.clientMsgId);
  if (retried && (!frame.sessionId || frame.sessionId === retried.sessionId)) {
    const afterSeq = retried.message.seq - 1;
    turn.span.setAttribute("chat.replayed", true);
    await resumeSession(ctx, client, { type: "resume", sessionId: retried.sessionId, afterSeq });
    return false;
  }
  if (frame.sessionId) {
    const owned = await getOwnedSession(sql, client.userId, frame.sessionId);
    if (!owned) throw new AppError("not_found", "Session not found.");
    if (!hub.reserve(frame.sessionId))
      throw new AppError("busy", "The trainer is still answering in this session.");
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
  const { sessionId } = stored;
  const inserted = stored.turn;
  if ("duplicate" in inserted) {
    hub.release(sessionId);
    throw new AppError("conflict", "This message was already received.", {
      details: { sessionId, seq: inserted.duplicate.seq },
    });
  }
  // An existing session stays reserved until startRun; a new one is unknown to anyone else.
  const run: ActiveRun = {
    runId,
    userId: client.userId,
    sessionId,
    clientMsgId: frame.clientMsgId,
    seq: inserted.assistant.seq,
    text: "",
    tools: [],
    controller: new AbortController(),
  };
  hub.startRun(run);
  client.sessions.add(sessionId);
  hub.toSession(client.userId, sessionId, { type: "message", sessionId, message: inserted.user });
  hub.toSession(client.userId, sessionId, {
    type: "run.started",
    runId,
    sessionId,
    clientMsgId: frame.clientMsgId,
    seq: run.seq,
  });
  turn.span.setAttributes({ "session.id": sessionId, "chat.run_id": runId });
  void driveRun(ctx, run, frame.text, inserted.user.seq, inserted.assistant, turn);
  return true;
}

export function cancelRun(ctx: RealtimeContext, client: Client, runId: string): void {
  const run = ctx.hub.findRun(runId);
  if (!run || run.userId !== client.userId)
    throw new AppError("not_found", "No such run is in progress.");
  run.controller.abort(new RunStop("cancelled"));
}

/** The dashboard's three outcomes; the code itself stays on the span and in the log. */
function turnOutcome(outcome: Outcome): TurnOutcome {
  if (outcome.kind === "completed") return "completed";
  return outcome.code === "cancelled" ? "cancelled" : "failed";
}

/** Runs the turn inside its span and ends the span, whatever happens. */
async function driveRun(
  ctx: RealtimeContext,
  run: ActiveRun,
  input: string,
  userSeq: number,
  placeholder: Message,
  turn: Turn,
) {
  try {
    await runInSpan(turn.span, () => finishRun(ctx, run, input, userSeq, placeholder, turn));
  } catch (error) {
    recordError(turn.span, error);
    ctx.logger.error("run crashed", { runId: run.runId, error });
  } finally {
    turn.span.end();
  }
}

async function finishRun(
  ctx: RealtimeContext,
  run: ActiveRun,
  input: string,
  userSeq: number,
  placeholder: Message,
  turn: Turn,
) {
  const startedAt = ctx.now();
  const outcome = await streamOutcome(ctx, run, input, userSeq, turn);
  const seconds = (performance.now() - turn.startedAt) / 1000;
  const code = outcome.kind === "completed" ? "completed" : outcome.code;
  ctx.logger.info("run ended", {
    runId: run.runId,
    userId: run.userId,
    sessionId: run.sessionId,
    outcome: code,
    durationMs: ctx.now() - startedAt,
    chars: run.text.length,
  });
  ctx.metrics.recordTurn(turnOutcome(outcome), seconds, turn.timeToFirstToken);
  turn.span.setAttributes({
    "chat.outcome": code,
    ...(turn.timeToFirstToken === undefined
      ? {}
      : { "chat.time_to_first_token_s": turn.timeToFirstToken }),
  });
  if (turnOutcome(outcome) === "failed")
    turn.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  const base = { runId: run.runId, sessionId: run.sessionId, seq: run.seq } as const;
  try {
    if (outcome.kind === "completed") {
      const content = outcome.output || run.text;
      await finishAssistantMessage(ctx.sql, placeholder.id, {
        content,
        status: "complete",
        items: outcome.items,
      });
      ctx.hub.endRun(run);
      ctx.hub.toSession(run.userId, run.sessionId, {
        type: "run.completed",
        ...base,
        messageId: placeholder.id,
      });
      return;
    }
    await finishAssistantMessage(ctx.sql, placeholder.id, {
      content: run.text,
      status: run.text ? "interrupted" : "failed",
      errorCode: outcome.code,
    });
    ctx.hub.endRun(run);
    ctx.hub.toSession(run.userId, run.sessionId, {
      type: "run.failed",
      ...base,
      code: outcome.code,
      message: outcome.message,
    });
  } catch (error) {
    ctx.logger.error("could not store the end of a run", { runId: run.runId, error });
    // Never leave the answer `streaming`: clients would show it as still coming, forever.
    await finishAssistantMessage(ctx.sql, placeholder.id, {
      content: run.text,
      status: run.text ? "interrupted" : "failed",
      errorCode: "internal",
    }).catch((again) =>
      ctx.logger.error("could not mark a run as failed", { runId: run.runId, error: again }),
    );
    ctx.hub.endRun(run);
    ctx.hub.toSession(run.userId, run.sessionId, {
      type: "run.failed",
      ...base,
      code: "internal",
      message: failureMessages.internal,
    });
  }
}
