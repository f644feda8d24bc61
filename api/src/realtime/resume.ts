/**
 * `resume {sessionId, afterSeq}`: the stored messages the socket missed, then (if a run is
 * streaming) its text so far as one delta at offset 0; live deltas follow because the socket
 * now follows the session. The read is retried if the session changed while it ran, so the
 * replay and the live events neither overlap in gaps nor skip anything.
 *
 * Stored messages carry the tool lines stored with them; the answer still being written
 * takes them from its Run instead, read at the instant the socket starts following, so no
 * line is missed or shown twice.
 *
 * Across processes: this process says it follows the session before it reads (subscribe,
 * then read), and when the answer being written belongs to another process, asks that one
 * for where it is once this socket follows: its text so far and lines arrive as one
 * `message`, then every later event (cross-process.ts).
 */
import { maxMessagesReplayed, messagesAfter } from "@trainer2/db/queries/messages";
import { getOwnedSession } from "@trainer2/db/queries/sessions";
import { pendingApprovalsOfSession } from "@trainer2/db/queries/tool-approvals";
import { AppError } from "@trainer2/shared/errors";
import type { ClientFrame, Message } from "@trainer2/shared/wire";
import { costs, replayCost } from "../http/person-limits.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { approvalRequested } from "./pause.ts";

type ResumeFrame = Extract<ClientFrame, { type: "resume" }>;

const maxReadAttempts = 5;

/**
 * A `resume` frame as the socket receives it: run one at a time per person on this process (so
 * one person's resumes cannot hold the whole pool), charged once what it costs. A refusal names
 * the session, so the page knows which resume to send again once `retryAfterS` has passed
 * instead of showing it stale.
 */
export async function resumeFrame(
  ctx: RealtimeContext,
  client: Client,
  frame: ResumeFrame,
  closed: () => boolean,
) {
  try {
    await ctx.resumes.run(client.userId, () =>
      closed() ? Promise.resolve() : resumeSession(ctx, client, frame),
    );
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "rate_limited") throw error;
    throw new AppError(error.code, error.message, {
      details: { ...error.details, sessionId: frame.sessionId },
    });
  }
}

export async function resumeSession(ctx: RealtimeContext, client: Client, frame: ResumeFrame) {
  const { hub, sql } = ctx;
  const owned = await getOwnedSession(sql, client.userId, frame.sessionId);
  // The resume and what its replay will read and send, charged as one before it does
  // (http/person-limits.ts); one of no session of theirs pays the resume all the same.
  // Charged in two, a person whose bucket held the first part but not the second paid for a
  // resume that was then refused, again at every retry: never resumed.
  const replaying = owned
    ? Math.min(maxMessagesReplayed, Math.max(0, owned.lastSeq - frame.afterSeq))
    : 0;
  await ctx.limits.charge(client.userId, costs.resume + replayCost(replaying));
  if (!owned) throw new AppError("not_found", "Session not found.");
  let messages: Message[] = [];
  let waiting: Awaited<ReturnType<typeof pendingApprovalsOfSession>> = [];
  hub.cross.hold(frame.sessionId);
  try {
    for (let attempt = 1; ; attempt++) {
      const stop = hub.watchChanges(frame.sessionId);
      let changed: boolean;
      try {
        messages = await messagesAfter(sql, frame.sessionId, frame.afterSeq);
        // Calls waiting for the person (their cards, below), read in the same watched window:
        // a decision meanwhile makes the read start again, as any change of the session does.
        waiting = messages.some((m) => m.status === "awaiting_approval")
          ? await pendingApprovalsOfSession(sql, frame.sessionId)
          : [];
      } finally {
        changed = stop();
      }
      if (!changed || attempt >= maxReadAttempts) break;
    }
    // From here to the end nothing awaits: no event of the session can slip in between.
    hub.follow(client, frame.sessionId);
  } finally {
    hub.cross.release(frame.sessionId);
  }
  const run = hub.runOf(frame.sessionId);
  const elsewhere = !run && messages.some((m) => m.status === "streaming");
  const live = (m: Message) => run !== undefined && m.seq === run.seq && m.status === "streaming";
  for (const message of messages) {
    // The answer being written: its stored text may lag (the catch-up delta below brings
    // it); its end, once known, is shown even before the database has it.
    const sent =
      run && live(message)
        ? run.ending
          ? run.current(message)
          : { ...message, tools: run.endedTools() }
        : message;
    client.send({ type: "message", sessionId: frame.sessionId, message: sent });
  }
  // Calls waiting for the person: their cards again (a reload, another process, a restart).
  const paused = messages.find((m) => m.status === "awaiting_approval");
  if (paused)
    for (const approval of waiting)
      client.send(approvalRequested(approval, frame.sessionId, paused.seq));
  if (elsewhere) return hub.cross.requestCatchUp(frame.sessionId);
  // Already finished (its run.completed is about to follow): nothing to catch up.
  const finished = messages.some((m) => m.seq === run?.seq && m.status !== "streaming");
  if (!run || finished || run.ending) return;
  client.send({ type: "delta", ...run.base, offset: 0, text: run.text });
  // Calls still running: their lines were left out of the replayed message (its tools are
  // ended ones only); sent only with that message, else the client has them already.
  if (!messages.some(live)) return;
  for (const line of run.runningTools()) client.send({ type: "tool", ...run.base, ...line });
}
