/**
 * A chat or regenerate frame whose clientMsgId was sent before (a retry after a reconnect, or
 * the same frame from another socket) is answered with what happened to the first one, its
 * replay, rather than a second run; and a run that was not stored because the session's answer
 * is being written elsewhere is answered `busy`.
 */
import {
  findByClientMsgId,
  isDuplicateClientMsg,
  isSessionBusy,
} from "@trainer2/db/queries/messages";
import { AppError } from "@trainer2/shared/errors";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { resumeSession } from "./resume.ts";
import type { Run } from "./run.ts";

/** Thrown while storing a run's rows: the clientMsgId was sent before. */
export class SentBefore extends Error {}

/**
 * A run that was not stored after all (its reservation and claim already undone): `busy`
 * when the session has an answer being written (one per session, whichever process writes
 * it); the first frame's replay when a twin got there first; else the error itself.
 */
export async function turnNotStored(
  error: unknown,
  busyDetails: Record<string, unknown>,
  replayed: () => Promise<boolean>,
): Promise<void> {
  if (isSessionBusy(error)) throw new AppError("busy", undefined, { details: busyDetails });
  const twin = error instanceof SentBefore || isDuplicateClientMsg(error);
  if (twin && (await replayed())) return;
  throw error;
}

/**
 * A frame whose clientMsgId the user already sent is answered with what happened to the
 * first one: its replay. False when it is new; a `conflict` naming the first one when this
 * frame names another session.
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
