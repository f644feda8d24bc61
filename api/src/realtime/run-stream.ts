/**
 * The api's side of one run: the `/run` call to the agent (its own client span, traceparent
 * injected by hand), then each event recorded in the `Run` (its text, tool lines and what it
 * is charged) and fanned out to the session's sockets as it arrives, and the way the run
 * ended. Timeouts, cancellation and a budget used up mid-run abort the upstream request.
 */

import { checkpointAssistantMessage } from "@trainer2/db/queries/messages";
import { AppError } from "@trainer2/shared/errors";
import { idleTimer } from "@trainer2/shared/idle-timer";
import {
  injectTraceparent,
  runInSpan,
  type Span,
  SpanKind,
  SpanStatusCode,
  spanNames,
} from "@trainer2/shared/telemetry";
import type { RunStreamEvent } from "@trainer2/shared/wire";
import { AgentFailure, streamRun } from "./agent-client.ts";
import { type Checkpoint, checkpoint } from "./checkpoint.ts";
import type { RealtimeContext } from "./context.ts";
import {
  type AgentCallPlan,
  failedEnding,
  type Run,
  RunDone,
  type RunEnding,
  RunStop,
} from "./run.ts";
import type { RunMeter } from "./run-meter.ts";

function endingOf(error: unknown, ctx: RealtimeContext, run: Run): RunEnding {
  if (error instanceof RunStop) return failedEnding(error.code);
  // A refusal raised before the agent was called (a resumed run's budget).
  if (error instanceof AppError) return failedEnding(error.code, error.message);
  if (error instanceof AgentFailure) {
    ctx.logger.warn("agent run failed", { runId: run.runId, code: error.code, error });
    return failedEnding(error.code, error.message);
  }
  ctx.logger.error("run crashed", { runId: run.runId, error });
  return failedEnding("agent_error");
}

/** The agent's answer to one run, under way: the events as they come, and its span. */
type AgentCall = {
  first: Promise<IteratorResult<RunStreamEvent>>;
  events: AsyncGenerator<RunStreamEvent>;
  span: Span;
};

/**
 * Starts `POST /run` with the run's planned request, with its own client span and
 * traceparent, since Bun's fetch is not instrumented.
 */
function callAgent(ctx: RealtimeContext, run: Run, plan: AgentCallPlan): AgentCall {
  const agentUrl = ctx.agentUrl();
  const span = ctx.telemetry.startSpan(
    spanNames.agentRunCall,
    { "http.request.method": "POST", "url.full": new URL("/run", agentUrl).toString() },
    { kind: SpanKind.CLIENT },
  );
  const events = runInSpan(span, () =>
    streamRun({
      agentUrl,
      request: plan.request,
      runToken: plan.runToken,
      signal: run.controller.signal,
      headers: injectTraceparent({}),
      onAccepted: () => plan.meter.accepted(),
    }),
  );
  // The request leaves now, inside the call's span (its traceparent).
  const first = runInSpan(span, () => events.next());
  return { first, events, span };
}

/**
 * Calls the agent with the run's plan and relays its answer to the session's sockets; never
 * throws (failures are endings). The one caller is the run's end (run-end.ts).
 */
export async function streamAnswer(
  ctx: RealtimeContext,
  run: Run,
  plan: AgentCallPlan,
): Promise<RunEnding> {
  const { options } = ctx;
  const call = runInSpan(run.span, () => callAgent(ctx, run, plan));
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
    return await relay(ctx, run, call, { rearm, saved, meter: plan.meter });
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
  on: { rearm(): void; saved: Checkpoint; meter: RunMeter },
): Promise<RunEnding> {
  const send = (event: Parameters<RealtimeContext["hub"]["toSession"]>[2]) =>
    ctx.hub.toSession(run.userId, run.sessionId, event);
  const { meter } = on;
  // After a report, the first tool line says the model asked for tools: another call follows.
  let reportedSinceTool = false;
  for (let next = await call.first; !next.done; next = await call.events.next()) {
    const event = next.value;
    on.rearm();
    if (event.type === "usage") {
      // The run's usage so far, after each model call: what the run is charged.
      meter.report(event.usage, run.text.length);
      reportedSinceTool = true;
      continue;
    }
    if (event.type === "delta") {
      send(run.appendText(event.text));
      on.saved.touch();
    } else if (event.type === "tool") {
      const { name, status, summary, callId } = event;
      if (reportedSinceTool) {
        reportedSinceTool = false;
        void extendForNextCall(ctx, run, meter);
      }
      if (status !== "started") meter.toolEnded();
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
      // The agent's settled total comes with how the run ended.
      if (event.usage) meter.settled(event.usage, "completed");
      return { kind: "completed", output: event.output, items: event.items };
    } else if (event.type === "approval.required") {
      if (event.usage) meter.settled(event.usage, "paused");
      return { kind: "paused", state: event.state, calls: event.calls };
    } else {
      if (event.usage) meter.settled(event.usage, "failed");
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
      return failedEnding(event.code, event.message);
    }
  }
  call.span.setStatus({ code: SpanStatusCode.ERROR, message: "stream ended early" });
  return failedEnding("agent_error");
}

/**
 * The run goes on to another model call: its reservation must have room for it, judged
 * against the day like a new run; refused, the run stops (budget_exceeded, its text kept).
 */
async function extendForNextCall(ctx: RealtimeContext, run: Run, meter: RunMeter) {
  const reported = meter.usage ?? { inputTokens: 0, outputTokens: 0 };
  const allowed = await ctx.budgets.extend({
    runId: run.runId,
    reported,
    reportedChars: run.text.length,
    nextCallTokens: meter.nextCall(),
  });
  if (!allowed && !run.controller.signal.aborted) {
    run.span.setAttribute("chat.budget.refused", "daily_tokens");
    run.stop("budget_exceeded");
  }
}
