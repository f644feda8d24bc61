/**
 * The api's side of one run: the `/run` call to the agent (its own client span, traceparent
 * injected by hand), each event fanned out to the session's sockets as it arrives, and the
 * way the run ended as an `Outcome`. Timeouts and cancellation abort the upstream request.
 */
import { historyItems } from "@trainer2/db/queries/messages";
import { failureMessages } from "@trainer2/shared/failures";
import {
  injectTraceparent,
  type Span,
  SpanKind,
  SpanStatusCode,
  spanNames,
} from "@trainer2/shared/telemetry";
import { signRunToken } from "@trainer2/shared/tokens";
import type { AgentItem } from "@trainer2/shared/wire";
import { AgentFailure, streamRun } from "./agent-client.ts";
import type { RealtimeContext } from "./context.ts";
import { type ActiveRun, recordToolLine } from "./hub.ts";

/** Why the api itself stopped a run (the abort reason of its controller). */
export class RunStop extends Error {
  constructor(readonly code: "cancelled" | "timeout" | "shutdown" | "done") {
    super(code);
    this.name = "RunStop";
  }
}

const stopMessages: Record<RunStop["code"], string> = {
  cancelled: failureMessages.cancelled,
  timeout: failureMessages.timeout,
  shutdown: failureMessages.shutdown,
  done: "The run ended.",
};

export type Outcome =
  | { kind: "completed"; output: string; items: AgentItem[] }
  | { kind: "failed"; code: string; message: string };

/** One turn's trace span and clock: from the user's frame to the stored answer. */
export type Turn = {
  span: Span;
  /** performance.now() when the chat frame arrived. */
  startedAt: number;
  /** Seconds from the frame to the first text delta, once one arrived. */
  timeToFirstToken?: number;
};

function outcomeOf(error: unknown, ctx: RealtimeContext, run: ActiveRun): Outcome {
  if (error instanceof RunStop)
    return { kind: "failed", code: error.code, message: stopMessages[error.code] };
  if (error instanceof AgentFailure) {
    ctx.logger.warn("agent run failed", { runId: run.runId, code: error.code, error });
    return { kind: "failed", code: error.code, message: error.message };
  }
  ctx.logger.error("run crashed", { runId: run.runId, error });
  return { kind: "failed", code: "agent_error", message: failureMessages.agent_error };
}

/** Streams the agent's run to the session's sockets; never throws (failures are outcomes). */
export async function streamOutcome(
  ctx: RealtimeContext,
  run: ActiveRun,
  input: string,
  userSeq: number,
  turn: Turn,
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
    const agentUrl = ctx.agentUrl();
    // Bun's fetch is not instrumented: the client span and its traceparent are made here.
    return await ctx.telemetry.withSpan(
      spanNames.agentRunCall,
      { "http.request.method": "POST", "url.full": new URL("/run", agentUrl).toString() },
      async (span) => {
        for await (const event of streamRun({
          agentUrl,
          request,
          runToken,
          signal: run.controller.signal,
          headers: injectTraceparent({}),
        })) {
          rearm();
          if (event.type === "delta") {
            turn.timeToFirstToken ??= (performance.now() - turn.startedAt) / 1000;
            const offset = run.text.length;
            run.text += event.text;
            hub.toSession(run.userId, run.sessionId, {
              type: "delta",
              ...base,
              offset,
              text: event.text,
            });
          } else if (event.type === "tool") {
            const { name, status, summary, callId } = event;
            recordToolLine(run, {
              name,
              status,
              ...(summary === undefined ? {} : { summary }),
              ...(callId === undefined ? {} : { callId }),
            });
            hub.toSession(run.userId, run.sessionId, {
              type: "tool",
              ...base,
              name,
              status,
              ...(summary === undefined ? {} : { summary }),
            });
          } else if (event.type === "completed") {
            return { kind: "completed", output: event.output, items: event.items } as const;
          } else {
            span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
            return { kind: "failed", code: event.code, message: event.message } as const;
          }
        }
        span.setStatus({ code: SpanStatusCode.ERROR, message: "stream ended early" });
        return {
          kind: "failed",
          code: "agent_error",
          message: failureMessages.agent_error,
        } as const;
      },
      { kind: SpanKind.CLIENT },
    );
  } catch (error) {
    return outcomeOf(error, ctx, run);
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    // Closes the upstream response if the agent kept it open after its last event.
    if (!run.controller.signal.aborted) run.controller.abort(new RunStop("done"));
  }
}
