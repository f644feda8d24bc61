/**
 * `regenerate {sessionId, clientMsgId}`: the session's last answer, again. A new run for the
 * last question, through the chat turn's own path (its placeholder stored with this process
 * as owner, a Run, run-end.ts), so it holds across api processes as a chat frame does: one
 * answer written per session (busy while one streams, whichever process writes it), every
 * event to every socket following the session, a Stop from any of them. The old answer stays
 * stored; the agent's context and the page leave it out (db: insertRegeneration). It is a
 * turn like any other for the person's budgets: reserved before anything is stored (refused
 * with budget_exceeded, no model call, when a limit is used up), capped, settled at its end.
 */
import { historyItems, insertRegeneration, type StoredTurn } from "@trainer2/db/queries/messages";
import { getOwnedSession } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import type { ClientFrame, RunRequest } from "@trainer2/shared/wire";
import { replayedIfSent, type Started, turnInSpan } from "./chat-turn.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import type { Run } from "./run.ts";
import { agentCallParts, launchRun, runRequest, SentBefore, turnNotStored } from "./turn-setup.ts";

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
): Promise<Started | undefined> {
  const { hub, sql } = ctx;
  span.setAttribute("chat.regenerate", true);
  // A re-sent frame (after a reconnect) gets the first one's answer, not a second run.
  if (await replayedIfSent(ctx, client, frame, span)) return undefined;
  const details = { clientMsgId: frame.clientMsgId, sessionId: frame.sessionId };
  const runId = crypto.randomUUID();
  // The question is already in the session: the reservation estimates it with the history.
  const [owned, budget] = await Promise.all([
    getOwnedSession(sql, client.userId, frame.sessionId),
    ctx.budgets.reserve({ ...frame, text: "", userId: client.userId, runId, span }),
  ]);
  if (!owned) {
    void budget.release();
    throw new AppError("not_found", "Session not found.", { details });
  }
  // Until the Run is registered, a sweep of this process must not take its row for an orphan.
  const unclaim = hub.claim(runId);
  let stored: StoredTurn;
  let request: RunRequest;
  let runToken: string;
  try {
    // A budget refusal (budget_exceeded): before anything is stored or the agent is called.
    budget.allow();
    const again = await sql.begin((tx) =>
      insertRegeneration(tx, {
        sessionId: frame.sessionId,
        clientMsgId: frame.clientMsgId,
        runId,
        ownerId: hub.bus.processId,
      }),
    );
    if ("duplicate" in again) throw new SentBefore();
    if ("nothing" in again)
      throw new AppError("bad_request", "There is no answer to regenerate in this chat yet.", {
        details,
      });
    stored = again;
    ({ request, runToken } = await agentRequest(ctx, client, frame.sessionId, stored, runId));
  } catch (error) {
    unclaim();
    void budget.release();
    return turnNotStored(error, details, () => replayedIfSent(ctx, client, frame, span));
  }
  const ids = {
    runId,
    userId: client.userId,
    sessionId: frame.sessionId,
    clientMsgId: frame.clientMsgId,
    userMessage: stored.user,
    placeholder: stored.assistant,
  };
  return launchRun(ctx, client, ids, span, startedAt, {
    request,
    runToken,
    announceQuestion: false,
  });
}

/** The question again, with the context before it (the old answer is not part of it). */
async function agentRequest(
  ctx: RealtimeContext,
  client: Client,
  sessionId: string,
  stored: StoredTurn,
  runId: string,
) {
  const ids = { runId, userId: client.userId, sessionId };
  const [history, { capabilitiesVersion, runToken }] = await Promise.all([
    historyItems(ctx.sql, sessionId, stored.user.seq),
    agentCallParts(ctx, ids),
  ]);
  const request = runRequest(ctx, ids, stored.user.content, history, capabilitiesVersion);
  return { request, runToken };
}
