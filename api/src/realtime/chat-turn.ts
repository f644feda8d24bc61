/**
 * The chat turn's entrance to the run lifecycle (run-lifecycle.ts): the user's message and the
 * assistant's placeholder stored in one statement, then the agent called. Kept to two round
 * trips before the agent is called, so the first token follows the model's closely: the
 * session's ownership and history are read (a new session created) beside the budget's
 * reservation and the run token, then the turn is stored. The agent is called only once the
 * user's message is durable. Nothing the user wrote is lost, whatever the agent does.
 */
import { historyItems, insertTurn, isRunStreaming } from "@trainer2/db/queries/messages";
import {
  createSession,
  deleteEmptySession,
  getOwnedSession,
  titleFrom,
} from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import type { ClientFrame } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { startRun } from "./run-lifecycle.ts";
import { replayedIfSent, SentBefore, turnNotStored } from "./turn-replay.ts";

type ChatFrame = Extract<ClientFrame, { type: "chat" }>;

/** Handles a `chat` frame: each turn is the root of its own trace (the run ends its span). */
export async function startTurn(ctx: RealtimeContext, client: Client, frame: ChatFrame) {
  const { sql, hub } = ctx;
  const sessionId = frame.sessionId ?? crypto.randomUUID();
  const runId = crypto.randomUUID();
  await startRun(ctx, {
    kind: "turn",
    userId: client.userId,
    runId,
    sessionId,
    client,
    budget: {
      sessionId: frame.sessionId,
      text: frame.text,
      clientMsgId: frame.clientMsgId,
      countsAsTurn: true,
    },
    attributes: {},
    announceQuestion: true,
    async read(undo) {
      const [owned, history] = await Promise.all([
        frame.sessionId
          ? getOwnedSession(sql, client.userId, frame.sessionId)
          : createSession(sql, client.userId, titleFrom(frame.text), sessionId).then((made) => {
              undo(() => deleteEmptySession(sql, sessionId));
              return made;
            }),
        // Every completed turn stored so far (seq is a 4-byte integer).
        frame.sessionId ? historyItems(sql, frame.sessionId, 2 ** 31 - 1) : [],
      ]);
      if (!owned) throw new AppError("not_found", "Session not found.");
      return history;
    },
    async store(history) {
      const turn = await insertTurn(sql, {
        sessionId,
        text: frame.text,
        clientMsgId: frame.clientMsgId,
        runId,
        ownerId: hub.bus.processId,
      });
      if ("duplicate" in turn) throw new SentBefore();
      const ids = { runId, userId: client.userId, sessionId, clientMsgId: frame.clientMsgId };
      return {
        ids: { ...ids, userMessage: turn.user, placeholder: turn.assistant },
        agentInput: () => ({ input: frame.text, history }),
      };
    },
    notStored: (error, span) =>
      turnNotStored(error, { clientMsgId: frame.clientMsgId }, () =>
        replayedIfSent(ctx, client, frame, span),
      ),
  });
}

/** Stops the user's run, whichever api process writes it. */
export async function cancelRun(ctx: RealtimeContext, client: Client, runId: string) {
  const run = ctx.hub.findRun(runId);
  if (run && run.userId === client.userId) return run.stop("cancelled");
  if (!run && (await isRunStreaming(ctx.sql, runId, client.userId)))
    return ctx.hub.cross.cancelElsewhere(runId, client.userId);
  throw new AppError("not_found", "No such run is in progress.");
}
