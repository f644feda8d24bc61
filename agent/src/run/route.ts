/**
 * `POST /run`: the api's run token is the only way in, and it must name the run, user and
 * session of the body. The answer is NDJSON `runStreamEvent` lines, written as they happen;
 * a caller that hangs up aborts the model call.
 */

import { AppError } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import { parseJsonBody } from "@trainer2/shared/http";
import { activeContext, SpanStatusCode, spanNames } from "@trainer2/shared/telemetry";
import { bearerToken, type KeyLike, verifyRunToken } from "@trainer2/shared/tokens";
import { type RunRequest, type RunStreamEvent, runRequest } from "@trainer2/shared/wire";
import type { Context } from "hono";
import { executeRun, type RunDeps, type RunInput } from "./execute.ts";
import type { UsedRunTokens } from "./used-run-tokens.ts";

export type RunRouteDeps = RunDeps & {
  apiPublicKey: KeyLike;
  /** The current surface and composed instructions, read per run (they change on sync). */
  current: () => Pick<RunInput, "surface" | "instructions">;
  ready: () => boolean;
  /** Run tokens that already started a run here: a token starts one run. */
  usedTokens: UsedRunTokens;
  /** Syncs with the api now (sharing a sync under way); rejects when the api cannot be read. */
  syncNow: () => Promise<unknown>;
};

type RunClaims = Awaited<ReturnType<typeof verifyRunToken>>;

/** Checked before the body is read: a caller without the api's token learns nothing more. */
async function authenticate(
  c: Context,
  publicKey: KeyLike,
): Promise<{ token: string; claims: RunClaims }> {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw new AppError("unauthorized", "a run token is required (Authorization: Bearer)");
  try {
    return { token, claims: await verifyRunToken(token, publicKey) };
  } catch (error) {
    throw new AppError("unauthorized", "the run token is not valid", { cause: error });
  }
}

function authorize(claims: RunClaims, body: RunRequest): void {
  if (
    claims.runId !== body.runId ||
    claims.userId !== body.userId ||
    claims.sessionId !== body.sessionId
  )
    throw new AppError("forbidden", "the run token was issued for another run");
}

/**
 * An agent behind the api's version (one of several behind one URL, which another's
 * /update did not reach) syncs before it runs, so it calls the tools the api has now. If the
 * api cannot be read it runs with what it has, as it would between two scheduled syncs.
 */
async function catchUpWithApi(deps: RunRouteDeps, wanted: string | undefined): Promise<void> {
  if (!wanted || deps.current().surface?.version === wanted) return;
  await deps.syncNow().catch((error) =>
    deps.logger.warn("could not sync before a run; running with the tools it has", {
      wanted,
      cause: error,
    }),
  );
}

export async function runHandler(c: Context, deps: RunRouteDeps): Promise<Response> {
  const { token: runToken, claims } = await authenticate(c, deps.apiPublicKey);
  // The body's size is bounded by the app's bodyLimit, in front of this route.
  const body = await parseJsonBody(c, runRequest);
  authorize(claims, body);
  if (!deps.usedTokens.firstUse(runToken)) {
    deps.logger.warn("a run token was presented again: refused", { runId: body.runId });
    throw new AppError("run_ended", "this run token already started its run");
  }
  await catchUpWithApi(deps, body.capabilitiesVersion);
  if (!deps.ready() && !deps.current().surface)
    throw new AppError("agent_unavailable", "the agent has not synced its tools with the api yet");
  // The request's server span (httpTracing); the stream below may start after it returns.
  const parent = activeContext();
  const caller = new AbortController();
  const encoder = new TextEncoder();
  c.req.raw.signal.addEventListener("abort", () => caller.abort(), { once: true });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const emit = (event: RunStreamEvent) => {
        if (caller.signal.aborted) return;
        controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
      };
      const input: RunInput = { request: body, runToken, signal: caller.signal, ...deps.current() };
      deps.telemetry
        .withSpan(
          spanNames.agentRun,
          { "chat.run_id": body.runId, "session.id": body.sessionId, "enduser.id": body.userId },
          (span) =>
            executeRun(deps, input, (event) => {
              if (event.type === "failed")
                span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
              emit(event);
            }),
          { parent },
        )
        .catch((error) => {
          deps.logger.error("run crashed", { runId: body.runId, cause: error });
          emit({ type: "failed", code: "agent_error", message: failures.agent_error.message });
        })
        .finally(() => {
          try {
            controller.close();
          } catch {}
        });
    },
    cancel() {
      caller.abort();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "application/x-ndjson", "cache-control": "no-cache" },
  });
}
