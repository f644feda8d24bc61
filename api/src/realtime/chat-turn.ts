/**
 * One chat turn: store the user's message and the assistant's placeholder in one
 * transaction, announce the run, stream the agent's answer to every socket following the
 * session, and store how it ended. Nothing the user wrote is lost, whatever the agent does.
 */
import {
  findByClientMsgId,
  finishAssistantMessage,
  historyItems,
  insertTurn,
} from "@trainer2/db/queries/messages";
import { createSession, getOwnedSession, titleFrom } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import { signRunToken } from "@trainer2/shared/tokens";
import type { AgentItem, ClientFrame, Message } from "@trainer2/shared/wire";
import { AgentFailure, streamRun } from "./agent-client.ts";
import type { RealtimeContext } from "./context.ts";
import type { ActiveRun, Client } from "./hub.ts";
import { resumeSession } from "./resume.ts";

type ChatFrame = Extract<ClientFrame, { type: "chat" }>;

/** Why the api itself stopped a run (the abort reason of its controller). */
export class RunStop extends Error {
  constructor(readonly code: "cancelled" | "timeout" | "shutdown" | "done") {
    super(code);
    this.name = "RunStop";
  }
}

const stopMessages: Record<RunStop["code"], string> = {
  cancelled: "The answer was cancelled.",
  timeout: "The trainer took too long to answer.",
  shutdown: "The server restarted while answering.",
  done: "The run ended.",
};

type Outcome =
  | { kind: "completed"; output: string; items: AgentItem[] }
  | { kind: "failed"; code: string; message: string };

/** Handles a `chat` frame up to `run.started`; the run itself continues in the background. */
export async function startTurn(ctx: RealtimeContext, client: Client, frame: ChatFrame) {
  const { hub, sql } = ctx;
  // A retried frame (same clientMsgId) is answered with what happened to the first one.
  const retried = await findByClientMsgId(sql, client.userId, frame.clientMsgId);
  if (retried && (!frame.sessionId || frame.sessionId === retried.sessionId)) {
    const afterSeq = retried.message.seq - 1;
    return resumeSession(ctx, client, { type: "resume", sessionId: retried.sessionId, afterSeq });
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
      const turn = await insertTurn(tx, {
        sessionId,
        text: frame.text,
        clientMsgId: frame.clientMsgId,
        runId,
      });
      return { sessionId, turn };
    });
  } catch (error) {
    if (frame.sessionId) hub.release(frame.sessionId);
    throw error;
  }
  const { sessionId, turn } = stored;
  if ("duplicate" in turn) {
    hub.release(sessionId);
    throw new AppError("conflict", "This message was already received.", {
      details: { sessionId, seq: turn.duplicate.seq },
    });
  }
  // An existing session stays reserved until startRun; a new one is unknown to anyone else.
  const run: ActiveRun = {
    runId,
    userId: client.userId,
    sessionId,
    clientMsgId: frame.clientMsgId,
    seq: turn.assistant.seq,
    text: "",
    controller: new AbortController(),
  };
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
  void driveRun(ctx, run, frame.text, turn.user.seq, turn.assistant);
}

export function cancelRun(ctx: RealtimeContext, client: Client, runId: string): void {
  const run = ctx.hub.findRun(runId);
  if (!run || run.userId !== client.userId)
    throw new AppError("not_found", "No such run is in progress.");
  run.controller.abort(new RunStop("cancelled"));
}

function outcomeOf(error: unknown, ctx: RealtimeContext, run: ActiveRun): Outcome {
  if (error instanceof RunStop)
    return { kind: "failed", code: error.code, message: stopMessages[error.code] };
  if (error instanceof AgentFailure) {
    ctx.logger.warn("agent run failed", { runId: run.runId, code: error.code, error });
    return { kind: "failed", code: error.code, message: error.message };
  }
  ctx.logger.error("run crashed", { runId: run.runId, error });
  return { kind: "failed", code: "agent_error", message: "The trainer ran into a problem." };
}

async function streamOutcome(
  ctx: RealtimeContext,
  run: ActiveRun,
  input: string,
  userSeq: number,
): Promise<Outcome> {
  const { hub, options } = ctx;
  const abort = (code: RunStop["code"]) => () => run.controller.abort(new RunStop(code));
  let idle = setTimeout(abort("timeout"), options.agentIdleTimeoutMs);
  const total = setTimeout(abort("timeout"), options.runTimeoutMs);
  const rearm = () => {
    clearTimeout(idle);
    idle = setTimeout(abort("timeout"), options.agentIdleTimeoutMs);
  };
  try {
    const history = await historyItems(ctx.sql, run.sessionId, userSeq);
    const runToken = await signRunToken(
      { userId: run.userId, sessionId: run.sessionId, runId: run.runId },
      ctx.apiPrivateKey,
    );
    const request = {
      runId: run.runId,
      userId: run.userId,
      sessionId: run.sessionId,
      input,
      history,
    };
    const base = { runId: run.runId, sessionId: run.sessionId, seq: run.seq };
    for await (const event of streamRun({
      agentUrl: ctx.agentUrl(),
      request,
      runToken,
      signal: run.controller.signal,
    })) {
      rearm();
      if (event.type === "delta") {
        const offset = run.text.length;
        run.text += event.text;
        hub.toSession(run.userId, run.sessionId, {
          type: "delta",
          ...base,
          offset,
          text: event.text,
        });
      } else if (event.type === "tool") {
        const { name, status, summary } = event;
        hub.toSession(run.userId, run.sessionId, {
          type: "tool",
          ...base,
          name,
          status,
          ...(summary === undefined ? {} : { summary }),
        });
      } else if (event.type === "completed") {
        return { kind: "completed", output: event.output, items: event.items };
      } else {
        return { kind: "failed", code: event.code, message: event.message };
      }
    }
    return {
      kind: "failed",
      code: "agent_error",
      message: "The trainer stopped before finishing.",
    };
  } catch (error) {
    return outcomeOf(error, ctx, run);
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    // Closes the upstream response if the agent kept it open after its last event.
    if (!run.controller.signal.aborted) run.controller.abort(new RunStop("done"));
  }
}

async function driveRun(
  ctx: RealtimeContext,
  run: ActiveRun,
  input: string,
  userSeq: number,
  placeholder: Message,
) {
  const startedAt = ctx.now();
  const outcome = await streamOutcome(ctx, run, input, userSeq);
  ctx.logger.info("run ended", {
    runId: run.runId,
    userId: run.userId,
    sessionId: run.sessionId,
    outcome: outcome.kind === "completed" ? "completed" : outcome.code,
    durationMs: ctx.now() - startedAt,
    chars: run.text.length,
  });
  ctx.metrics.runs.inc({ outcome: outcome.kind === "completed" ? "completed" : outcome.code });
  ctx.metrics.runSeconds.observe((ctx.now() - startedAt) / 1000);
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
    ctx.hub.endRun(run);
    ctx.hub.toSession(run.userId, run.sessionId, {
      type: "run.failed",
      ...base,
      code: "internal",
      message: "The answer could not be saved.",
    });
  }
}
