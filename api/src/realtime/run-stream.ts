/**
 * The api's side of one run: the `/run` call to the agent (its own client span, traceparent
 * injected by hand), started while the turn is being stored, then each event recorded in the
 * `Run` and fanned out to the session's sockets as it arrives, and the way the run ended.
 * Timeouts and cancellation abort the upstream request.
 */

import { checkpointAssistantMessage } from "@trainer2/db/queries/messages";
import { AppError } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import { idleTimer } from "@trainer2/shared/idle-timer";
import {
  injectTraceparent,
  runInSpan,
  type Span,
  SpanKind,
  SpanStatusCode,
  spanNames,
} from "@trainer2/shared/telemetry";
import type { RunRequest, RunStreamEvent } from "@trainer2/shared/wire";
import { AgentFailure, streamRun } from "./agent-client.ts";
import { type Checkpoint, checkpoint } from "./checkpoint.ts";
import type { RealtimeContext } from "./context.ts";
import { type Run, RunDone, type RunEnding, RunStop } from "./run.ts";

const failedWith = (code: Extract<RunEnding, { kind: "failed" }>["code"], message?: string) =>
  ({ kind: "failed", code, message: message ?? failures[code].message }) as const;

function endingOf(error: unknown, ctx: RealtimeContext, run: Run): RunEnding {
  if (error instanceof RunStop) return failedWith(error.code);
  // A refusal raised before the agent was called (a resumed run's budget).
  if (error instanceof AppError) return failedWith(error.code, error.message);
  if (error instanceof AgentFailure) {
    ctx.logger.warn("agent run failed", { runId: run.runId, code: error.code, error });
    return failedWith(error.code, error.message);
  }
  ctx.logger.error("run crashed", { runId: run.runId, error });
  return failedWith("agent_error");
}

/** The agent's answer to one run, already under way: the events as they come, and its span. */
export type AgentCall = {
  first: Promise<IteratorResult<RunStreamEvent>>;
  events: AsyncGenerator<RunStreamEvent>;
  span: Span;
};

/**
 * Starts `POST /run` at once (the request leaves now; its events are relayed once the turn is
 * stored), with its own client span and traceparent, since Bun's fetch is not instrumented.
 */
export function callAgent(
  ctx: RealtimeContext,
  request: RunRequest,
  runToken: string,
  signal: AbortSignal,
): AgentCall {
  const agentUrl = ctx.agentUrl();
  const span = ctx.telemetry.startSpan(
    spanNames.agentRunCall,
    { "http.request.method": "POST", "url.full": new URL("/run", agentUrl).toString() },
    { kind: SpanKind.CLIENT },
  );
  const events = runInSpan(span, () =>
    streamRun({ agentUrl, request, runToken, signal, headers: injectTraceparent({}) }),
  );
  const first = runInSpan(span, () => events.next());
  // Awaited by the relay; a turn that is never stored only aborts it.
  first.catch(() => {});
  return { first, events, span };
}

/** Relays the agent's run to the session's sockets; never throws (failures are endings). */
export async function streamRunToSockets(
  ctx: RealtimeContext,
  run: Run,
  call: AgentCall,
): Promise<RunEnding> {
  const { options } = ctx;
  const idle = idleTimer(options.agentIdleTimeoutMs, () => run.stop("timeout"));
  const total = setTimeout(() => run.stop("timeout"), options.runTimeoutMs);
  const rearm = () => idle.touch();
  const saved = checkpoint({
    intervalMs: options.checkpointIntervalMs,
    save: () =>
      checkpointAssistantMessage(ctx.sql, run.messageId, {
        content: run.text,
        tools: run.shownTools(),
      }),
    logger: ctx.logger,
    runId: run.runId,
  });
  try {
    return await relay(ctx, run, call, { rearm, saved });
  } catch (error) {
    return endingOf(error, ctx, run);
  } finally {
    idle.stop();
    clearTimeout(total);
    call.span.end();
    await saved.stop();
    // Closes the upstream response if the agent kept it open after its last event.
    if (!run.controller.signal.aborted) run.controller.abort(new RunDone());
  }
}

async function relay(
  ctx: RealtimeContext,
  run: Run,
  call: AgentCall,
  on: { rearm(): void; saved: Checkpoint },
): Promise<RunEnding> {
  const send = (event: Parameters<RealtimeContext["hub"]["toSession"]>[2]) =>
    ctx.hub.toSession(run.userId, run.sessionId, event);
  for (let next = await call.first; !next.done; next = await call.events.next()) {
    const event = next.value;
    on.rearm();
    // Usage so far (after each model call) and at the end: what the run's budget settles to.
    if ("usage" in event && event.usage) run.usage = event.usage;
    if (event.type === "usage") continue;
    if (event.type === "delta") {
      send(run.appendText(event.text));
      on.saved.touch();
    } else if (event.type === "tool") {
      const { name, status, summary, callId } = event;
      send(
        run.recordTool({
          name,
          status,
          ...(summary === undefined ? {} : { summary }),
          ...(callId === undefined ? {} : { callId }),
        }),
      );
      on.saved.touch();
    } else if (event.type === "completed") {
      return { kind: "completed", output: event.output, items: event.items };
    } else if (event.type === "approval.required") {
      return { kind: "paused", state: event.state, calls: event.calls };
    } else {
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
      return failedWith(event.code, event.message);
    }
  }
  call.span.setStatus({ code: SpanStatusCode.ERROR, message: "stream ended early" });
  return failedWith("agent_error");
}
