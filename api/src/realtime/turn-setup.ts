/**
 * What every way a run starts shares (a chat turn, a regenerate, a resumed run after an
 * approval): the agent request and its token, the handling of a turn that was not stored
 * after all, and the launch once it is.
 */
import { isDuplicateClientMsg, isSessionBusy } from "@trainer2/db/queries/messages";
import { AppError } from "@trainer2/shared/errors";
import { signRunToken } from "@trainer2/shared/tokens";
import type { AgentItem, RunRequest } from "@trainer2/shared/wire";
import type { Started } from "./chat-turn.ts";
import type { RealtimeContext } from "./context.ts";
import type { Client } from "./hub.ts";
import { Run, type RunIds } from "./run.ts";
import { callAgent } from "./run-stream.ts";

type RunOf = { runId: string; userId: string; sessionId: string };

/**
 * The capabilities version this api has and the run's token: what every agent call carries
 * besides its input. Without the version the agent runs with what it has: never a reason to
 * fail the turn.
 */
export async function agentCallParts(ctx: RealtimeContext, ids: RunOf) {
  const [capabilitiesVersion, runToken] = await Promise.all([
    ctx.capabilitiesVersion().catch(() => undefined),
    signRunToken(ids, ctx.apiPrivateKey),
  ]);
  return { capabilitiesVersion, runToken };
}

/** The agent's `/run` body: the question, the history before it, the api's answer cap. */
export function runRequest(
  ctx: RealtimeContext,
  ids: RunOf,
  input: string,
  history: AgentItem[],
  capabilitiesVersion: string | undefined,
  resume?: RunRequest["resume"],
): RunRequest {
  return {
    ...ids,
    input,
    history,
    ...(capabilitiesVersion ? { capabilitiesVersion } : {}),
    maxOutputTokens: ctx.budgets.maxOutputTokens,
    ...(resume ? { resume } : {}),
  };
}

/** Thrown inside a turn's transaction to roll it back: the clientMsgId was sent before. */
export class SentBefore extends Error {}

/**
 * A turn that was not stored after all (its reservation and claim already undone): `busy`
 * when the session has an answer being written (one per session, whichever process writes
 * it); the first frame's replay when a twin (a retry, or the same frame from another socket)
 * got there first, answered with undefined; else the error itself.
 */
export async function turnNotStored(
  error: unknown,
  busyDetails: Record<string, unknown>,
  replayed: () => Promise<boolean>,
): Promise<undefined> {
  if (isSessionBusy(error)) throw new AppError("busy", undefined, { details: busyDetails });
  const twin = error instanceof SentBefore || isDuplicateClientMsg(error);
  if (twin && (await replayed())) return undefined;
  throw error;
}

/**
 * A stored turn under way: its Run registered, the agent called, the client following the
 * session, and `run.started` (after the question, when it is new) to every socket of it.
 */
export function launchRun(
  ctx: RealtimeContext,
  client: Client,
  ids: RunIds,
  span: Run["span"],
  startedAt: number,
  call: { request: RunRequest; runToken: string; announceQuestion: boolean },
): Started {
  const { hub } = ctx;
  const run = new Run(ids, span, startedAt);
  const agentCall = callAgent(ctx, call.request, call.runToken, run.controller.signal);
  hub.startRun(run);
  hub.follow(client, ids.sessionId);
  if (call.announceQuestion)
    hub.toSession(client.userId, ids.sessionId, {
      type: "message",
      sessionId: ids.sessionId,
      message: ids.userMessage,
    });
  hub.toSession(client.userId, ids.sessionId, run.startedEvent());
  span.setAttributes({ "session.id": ids.sessionId, "chat.run_id": ids.runId });
  return { run, call: agentCall };
}
