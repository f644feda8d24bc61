/**
 * The api's side of one run: the `/run` call to the agent (its own client span, traceparent
 * injected by hand), each event recorded in the `Run` and fanned out to the session's
 * sockets as it arrives, and the way the run ended. Timeouts and cancellation abort the
 * upstream request.
 */
import { checkpointAssistantMessage, historyItems } from "@trainer2/db/queries/messages";
import { failures } from "@trainer2/shared/failures";
import {
  injectTraceparent,
  type Span,
  SpanKind,
  SpanStatusCode,
  spanNames,
} from "@trainer2/shared/telemetry";
import { signRunToken } from "@trainer2/shared/tokens";
import type { RunRequest } from "@trainer2/shared/wire";
import { AgentFailure, streamRun } from "./agent-client.ts";
import { type Checkpoint, checkpoint } from "./checkpoint.ts";
import type { RealtimeContext } from "./context.ts";
import { type Run, RunDone, type RunEnding, RunStop } from "./run.ts";

const failedWith = (code: Extract<RunEnding, { kind: "failed" }>["code"], message?: string) =>
  ({ kind: "failed", code, message: message ?? failures[code].message }) as const;

function endingOf(error: unknown, ctx: RealtimeContext, run: Run): RunEnding {
  if (error instanceof RunStop) return failedWith(error.code);
  if (error instanceof AgentFailure) {
    ctx.logger.warn("agent run failed", { runId: run.runId, code: error.code, error });
    return failedWith(error.code, error.message);
  }
  ctx.logger.error("run crashed", { runId: run.runId, error });
  return failedWith("agent_error");
}

/** Streams the agent's run to the session's sockets; never throws (failures are endings). */
export async function streamRunToSockets(ctx: RealtimeContext, run: Run): Promise<RunEnding> {
  const { options } = ctx;
  let idle = setTimeout(() => run.stop("timeout"), options.agentIdleTimeoutMs);
  const total = setTimeout(() => run.stop("timeout"), options.runTimeoutMs);
  const rearm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => run.stop("timeout"), options.agentIdleTimeoutMs);
  };
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
    const [history, capabilitiesVersion] = await Promise.all([
      historyItems(ctx.sql, run.sessionId, run.userSeq),
      // Without it the agent runs with what it has: never a reason to fail the turn.
      ctx.capabilitiesVersion().catch(() => undefined),
    ]);
    const request: RunRequest = {
      runId: run.runId,
      userId: run.userId,
      sessionId: run.sessionId,
      input: run.input,
      history,
      ...(capabilitiesVersion ? { capabilitiesVersion } : {}),
      maxOutputTokens: ctx.budgets.maxOutputTokens,
    };
    const runToken = await signRunToken(
      { userId: run.userId, sessionId: run.sessionId, runId: run.runId },
      ctx.apiPrivateKey,
    );
    const agentUrl = ctx.agentUrl();
    // Bun's fetch is not instrumented: the client span and its traceparent are made here.
    return await ctx.telemetry.withSpan(
      spanNames.agentRunCall,
      { "http.request.method": "POST", "url.full": new URL("/run", agentUrl).toString() },
      (span) => relay(ctx, run, { agentUrl, request, runToken, rearm, saved, span }),
      { kind: SpanKind.CLIENT },
    );
  } catch (error) {
    return endingOf(error, ctx, run);
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    await saved.stop();
    // Closes the upstream response if the agent kept it open after its last event.
    if (!run.controller.signal.aborted) run.controller.abort(new RunDone());
  }
}

async function relay(
  ctx: RealtimeContext,
  run: Run,
  call: {
    agentUrl: string;
    request: RunRequest;
    runToken: string;
    rearm(): void;
    saved: Checkpoint;
    span: Span;
  },
): Promise<RunEnding> {
  const send = (event: Parameters<RealtimeContext["hub"]["toSession"]>[2]) =>
    ctx.hub.toSession(run.userId, run.sessionId, event);
  for await (const event of streamRun({
    agentUrl: call.agentUrl,
    request: call.request,
    runToken: call.runToken,
    signal: run.controller.signal,
    headers: injectTraceparent({}),
  })) {
    call.rearm();
    // Usage so far (after each model call) and at the end: what the run's budget settles to.
    if ("usage" in event && event.usage) run.usage = event.usage;
    if (event.type === "usage") continue;
    if (event.type === "delta") {
      send(run.appendText(event.text));
      call.saved.touch();
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
      call.saved.touch();
    } else if (event.type === "completed") {
      return { kind: "completed", output: event.output, items: event.items };
    } else {
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
      return failedWith(event.code, event.message);
    }
  }
  call.span.setStatus({ code: SpanStatusCode.ERROR, message: "stream ended early" });
  return failedWith("agent_error");
}
