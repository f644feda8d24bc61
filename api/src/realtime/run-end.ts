/**
 * A run from its launch to its stored end, whatever its entrance (run-lifecycle.ts): stream
 * the agent's answer (run-stream.ts; a run that failed while starting has its ending
 * already), then charge it (every model call, reported or estimated), store how it ended with
 * its text and tool lines, and tell the session's sockets. The
 * answer is never left `streaming` by a refused write: it is stored as failed with
 * `internal`. While the database is down, the ending (held by the Run) is written again with
 * backoff until it is back; the sockets hear of the end only once it is stored.
 */
import { keepShownText } from "@trainer2/db/queries/api-processes";
import { finishAssistantMessage } from "@trainer2/db/queries/messages";
import { isInfrastructureFailure } from "@trainer2/shared/errors";
import { endedStatus, failures } from "@trainer2/shared/failures";
import type { TurnOutcome } from "@trainer2/shared/metrics";
import { recordError, runInSpan, SpanStatusCode } from "@trainer2/shared/telemetry";
import type { RealtimeContext } from "./context.ts";
import { announcePause, pauseRun } from "./pause.ts";
import { failedEnding, type Run, type RunEnding } from "./run.ts";
import { streamAnswer } from "./run-stream.ts";

/** The dashboard's three outcomes; the code itself stays on the span and in the log. */
function turnOutcome(ending: RunEnding): TurnOutcome {
  if (ending.kind !== "failed") return "completed";
  return ending.code === "cancelled" ? "cancelled" : "failed";
}

/** Runs the turn inside its span and ends the span, whatever happens. */
export async function driveRun(ctx: RealtimeContext, run: Run): Promise<void> {
  try {
    await runInSpan(run.span, () => finishRun(ctx, run));
  } catch (error) {
    recordError(run.span, error);
    ctx.logger.error("run crashed", { runId: run.runId, error });
  } finally {
    run.span.end();
  }
}

async function finishRun(ctx: RealtimeContext, run: Run): Promise<void> {
  const startedAt = ctx.now();
  const ending =
    run.ending ?? (run.agent ? await streamAnswer(ctx, run, run.agent) : failedEnding("internal"));
  run.ending = ending;
  observe(ctx, run, ending, ctx.now() - startedAt);
  // Beside the final write, before the end is announced (the panel then reads the new total):
  // every model call, as reported, or estimated where the run ended without a report.
  const settled = ctx.budgets.settle({
    runId: run.runId,
    userId: run.userId,
    span: run.span,
    ...run.charge(),
  });
  let stored: Stored = null;
  try {
    stored = await storeUntilStored(ctx, run, ending);
    // A peer took this process for gone and interrupted the answer: that stands, but the
    // text this process showed past the peer's copy (its last checkpoint) is kept.
    if (!stored) {
      ctx.logger.warn("the answer was ended by another api process", { runId: run.runId });
      run.ending = { kind: "failed", code: "interrupted", message: failures.interrupted.message };
      await keepShownText(ctx.sql, run.messageId, {
        content: run.text,
        tools: run.endedTools(),
      }).catch((error) =>
        ctx.logger.error("could not keep the text shown", { runId: run.runId, error }),
      );
    }
  } catch (error) {
    ctx.logger.error("could not store the end of a run", { runId: run.runId, error });
    const internal = { kind: "failed", code: "internal", message: failures.internal.message };
    run.ending = internal as RunEnding;
    // Never leave the answer `streaming`: clients would show it as still coming, forever.
    await storeEnding(ctx, run, run.ending).catch((again) =>
      ctx.logger.error("could not mark a run as failed", { runId: run.runId, error: again }),
    );
  }
  await settled;
  const end = run.endEvent();
  ctx.hub.endRun(run);
  if (end) ctx.hub.toSession(run.userId, run.sessionId, end);
  else if (run.ending?.kind === "paused" && stored && "approvals" in stored)
    await announcePause(ctx, run, stored.approvals);
}

const firstRetryMs = 100;
/** At most this long between tries: the answer is stored soon after the database is back. */
const maxRetryMs = 2000;

/**
 * Stores the ending, again and again while the database cannot be reached (the text is in
 * memory), for at most `endWriteRetryMs`. After that the row stays `streaming` with its last
 * checkpoint, and is interrupted like a crashed process's run. A refusal is thrown at once.
 */
async function storeUntilStored(
  ctx: RealtimeContext,
  run: Run,
  ending: RunEnding,
): Promise<Stored> {
  const giveUpAt = ctx.now() + ctx.options.endWriteRetryMs;
  for (let delay = firstRetryMs; ; delay = Math.min(delay * 2, maxRetryMs)) {
    try {
      return await storeEnding(ctx, run, ending);
    } catch (error) {
      if (!isInfrastructureFailure(error) || ctx.now() + delay > giveUpAt) throw error;
      if (delay === firstRetryMs)
        ctx.logger.warn("database unavailable: the answer is stored once it is back", {
          runId: run.runId,
          error,
        });
      await Bun.sleep(delay);
    }
  }
}

/**
 * What storing an ending gave: the stored answer, or the pause with its approvals; null when
 * a peer had already interrupted the answer (which stands).
 */
type Stored = Awaited<ReturnType<typeof finishAssistantMessage | typeof pauseRun>>;

function storeEnding(ctx: RealtimeContext, run: Run, ending: RunEnding): Promise<Stored> {
  const tools = run.endedTools();
  if (ending.kind === "paused") return pauseRun(ctx, run, ending);
  if (ending.kind === "completed")
    return finishAssistantMessage(ctx.sql, run.messageId, {
      content: ending.output || run.text,
      status: "complete",
      items: ending.items,
      tools,
    });
  return finishAssistantMessage(ctx.sql, run.messageId, {
    content: run.text,
    status: endedStatus(ending.code, run.text),
    errorCode: ending.code,
    tools,
  });
}

/** The run's log line, metrics and span attributes. */
function observe(ctx: RealtimeContext, run: Run, ending: RunEnding, durationMs: number) {
  const code =
    ending.kind === "failed"
      ? ending.code
      : ending.kind === "paused"
        ? "awaiting_approval"
        : "completed";
  ctx.logger.info("run ended", {
    runId: run.runId,
    userId: run.userId,
    sessionId: run.sessionId,
    outcome: code,
    durationMs,
    chars: run.text.length,
  });
  const seconds = (performance.now() - run.startedAt) / 1000;
  ctx.metrics.recordTurn(turnOutcome(ending), seconds, run.timeToFirstToken);
  run.span.setAttributes({
    "chat.outcome": code,
    ...(run.timeToFirstToken === undefined
      ? {}
      : { "chat.time_to_first_token_s": run.timeToFirstToken }),
  });
  if (turnOutcome(ending) === "failed")
    run.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}
