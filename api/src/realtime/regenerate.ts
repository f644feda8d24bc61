/**
 * `regenerate {sessionId, clientMsgId}`: the session's last answer, again. A new run for the
 * last question, through the chat turn's own path (its placeholder stored with this process
 * as owner, a Run, run-end.ts), so it holds across api processes as a chat frame does: one
 * answer written per session (busy while one streams, whichever process writes it), every
 * event to every socket following the session, a Stop from any of them. The old answer stays
 * stored; the agent's context and the page leave it out (db: insertRegeneration).
 */
import {
  insertRegeneration,
  isDuplicateClientMsg,
  isSessionBusy,
} from "@trainer2/db/queries/messages";
import { getOwnedSession } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import type { ClientFrame } from "@trainer2/shared/wire";
import { replayedIfSent, turnInSpan } from "./chat-turn.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { Run } from "./run.ts";

type RegenerateFrame = Extract<ClientFrame, { type: "regenerate" }>;

export async function regenerateAnswer(
  ctx: RealtimeContext,
  client: Client,
  frame: RegenerateFrame,
) {
  await turnInSpan(ctx, client, frame.sessionId, (span, startedAt) =>
    setUpRegeneration(ctx, client, frame, span, startedAt),
  );
}

async function setUpRegeneration(
  ctx: RealtimeContext,
  client: Client,
  frame: RegenerateFrame,
  span: Run["span"],
  startedAt: number,
): Promise<Run | undefined> {
  const { hub, sql } = ctx;
  span.setAttribute("chat.regenerate", true);
  // A re-sent frame (after a reconnect) gets the first one's answer, not a second run.
  if (await replayedIfSent(ctx, client, frame, span)) return undefined;
  const details = { clientMsgId: frame.clientMsgId, sessionId: frame.sessionId };
  if (!(await getOwnedSession(sql, client.userId, frame.sessionId)))
    throw new AppError("not_found", "Session not found.", { details });
  const runId = crypto.randomUUID();
  // Until the Run is registered, a sweep of this process must not take its row for an orphan.
  const unclaim = hub.claim(runId);
  let stored: Awaited<ReturnType<typeof insertRegeneration>>;
  try {
    stored = await sql.begin((tx) =>
      insertRegeneration(tx, {
        sessionId: frame.sessionId,
        clientMsgId: frame.clientMsgId,
        runId,
        ownerId: hub.bus.processId,
      }),
    );
  } catch (error) {
    unclaim();
    if (isSessionBusy(error)) throw new AppError("busy", undefined, { details });
    if (isDuplicateClientMsg(error) && (await replayedIfSent(ctx, client, frame, span)))
      return undefined;
    throw error;
  }
  if (!("user" in stored)) {
    unclaim();
    if ("duplicate" in stored && (await replayedIfSent(ctx, client, frame, span))) return undefined;
    throw new AppError("bad_request", "There is no answer to regenerate in this chat yet.", {
      details,
    });
  }
  const run = new Run(
    {
      runId,
      userId: client.userId,
      sessionId: frame.sessionId,
      clientMsgId: frame.clientMsgId,
      userMessage: stored.user,
      placeholder: stored.assistant,
    },
    span,
    startedAt,
  );
  hub.startRun(run);
  hub.follow(client, frame.sessionId);
  hub.toSession(client.userId, frame.sessionId, run.startedEvent());
  span.setAttribute("chat.run_id", runId);
  return run;
}
