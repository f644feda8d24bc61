/**
 * `regenerate {sessionId, clientMsgId}`: the session's last answer, again. The regenerate's
 * entrance to the run lifecycle (run-lifecycle.ts): a new run for the last question, its
 * placeholder stored with this process as owner, so it holds across api processes as a chat
 * turn does: one answer written per session (busy while one streams, whichever process writes
 * it), every event to every socket following the session, a Stop from any of them. The old
 * answer stays stored; the agent's context and the page leave it out (db: insertRegeneration).
 * It is a turn like any other for the person's budgets: reserved before anything is stored
 * (refused with budget_exceeded, no model call, when a limit is used up), charged at its end.
 */
import { findByClientMsgId, historyItems, insertRegeneration } from "@trainer2/db/queries/messages";
import { getOwnedSession } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import type { ClientFrame } from "@trainer2/shared/wire";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { startRun } from "./run-lifecycle.ts";
import { replayedIfSent, SentBefore, turnNotStored } from "./turn-replay.ts";

type RegenerateFrame = Extract<ClientFrame, { type: "regenerate" }>;

export async function regenerateAnswer(
  ctx: RealtimeContext,
  client: Client,
  frame: RegenerateFrame,
) {
  const { sql, hub } = ctx;
  const { sessionId, clientMsgId } = frame;
  const details = { clientMsgId, sessionId };
  const runId = crypto.randomUUID();
  await startRun(ctx, {
    kind: "regenerate",
    userId: client.userId,
    runId,
    sessionId,
    client,
    // The question is already in the session: the reservation estimates it with the history.
    budget: { sessionId, text: "", clientMsgId, countsAsTurn: true },
    attributes: { "chat.regenerate": true },
    announceQuestion: false,
    async read() {
      const [owned, sent] = await Promise.all([
        getOwnedSession(sql, client.userId, sessionId),
        // A re-sent frame (after a reconnect) gets the first one's answer, not a second run.
        findByClientMsgId(sql, client.userId, clientMsgId),
      ]);
      if (sent) throw new SentBefore();
      if (!owned) throw new AppError("not_found", "Session not found.", { details });
    },
    async store() {
      const again = await sql.begin((tx) =>
        insertRegeneration(tx, { sessionId, clientMsgId, runId, ownerId: hub.bus.processId }),
      );
      if ("duplicate" in again) throw new SentBefore();
      if ("nothing" in again)
        throw new AppError("bad_request", "There is no answer to regenerate in this chat yet.", {
          details,
        });
      return {
        ids: {
          runId,
          userId: client.userId,
          sessionId,
          clientMsgId,
          userMessage: again.user,
          placeholder: again.assistant,
        },
        // The question again, with the context before it (the old answer is not part of it).
        agentInput: async () => ({
          input: again.user.content,
          history: await historyItems(sql, sessionId, again.user.seq),
        }),
      };
    },
    notStored: (error, span) =>
      turnNotStored(error, details, () => replayedIfSent(ctx, client, frame, span)),
  });
}
