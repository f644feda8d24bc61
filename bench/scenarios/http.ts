/**
 * Scenario 4: plain HTTP. `GET /health` and `GET /state` (signed in, a session holding the
 * configured number of messages) from a fixed number of concurrent connections: with wrk
 * (`-t2`, as the reference figures) when it is installed, else a fetch loop in this
 * process that stops at a request count or a time limit, whichever comes first.
 */
import { type Summary, summarize } from "../lib/stats.ts";
import { wrk } from "../lib/wrk.ts";
import { chatText } from "./chat-latency.ts";
import { closeAll, openSockets, type ScenarioContext } from "./context.ts";

export type HttpEndpoint = {
  name: string;
  /** What made the load: wrk, or the bench's own fetch loop (much heavier on the CPU). */
  tool: "wrk" | "fetch";
  connections: number;
  requests: number;
  errors: number;
  durationMs: number;
  requestsPerSecond: number;
  latencyMs: Summary;
};

export async function hammer(
  ctx: ScenarioContext,
  name: string,
  url: string,
  headers: Record<string, string>,
): Promise<HttpEndpoint> {
  const { connections, requests, timeMs } = ctx.profile.http;
  const byWrk = await wrk({ url, headers, connections, threads: 2, seconds: timeMs / 1000 });
  if (byWrk) {
    const good = byWrk.requests - byWrk.errors;
    return logged(ctx, {
      name,
      tool: "wrk",
      connections,
      requests: byWrk.requests,
      errors: byWrk.errors,
      durationMs: byWrk.durationMs,
      requestsPerSecond: Math.round((good / byWrk.durationMs) * 1000),
      latencyMs: byWrk.latencyMs,
    });
  }
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + timeMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (issued < requests && performance.now() < deadline && ctx.alive()) {
        issued += 1;
        const sent = performance.now();
        try {
          const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          if (response.status === 200) latencies.push(performance.now() - sent);
          else errors += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const durationMs = performance.now() - started;
  return logged(ctx, {
    name,
    tool: "fetch",
    connections,
    requests: issued,
    errors,
    durationMs: Math.round(durationMs),
    requestsPerSecond: Math.round((latencies.length / durationMs) * 1000),
    latencyMs: summarize(latencies),
  });
}

function logged(ctx: ScenarioContext, result: HttpEndpoint): HttpEndpoint {
  ctx.log(
    `http ${result.name} (${result.tool}): ${result.requestsPerSecond} req/s, ` +
      `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
      `${result.errors} errors`,
  );
  return result;
}

/** A session with `messages` stored messages (user + assistant per turn), made by chatting. */
export async function sessionWithMessages(ctx: ScenarioContext, messages: number) {
  const [socket] = await openSockets(ctx, "http-state", 1);
  try {
    for (let index = 0; index < Math.ceil(messages / 2) && ctx.alive(); index++) {
      const result = await socket!.turn(chatText, ctx.profile.turnTimeoutMs);
      if (!result.ok) throw new Error(`preparing /state: ${result.reason}`);
    }
    return socket!.sessionId!;
  } finally {
    closeAll([socket!]);
  }
}

export async function http(ctx: ScenarioContext) {
  const { apiUrl } = ctx.stack;
  const sessionId = await sessionWithMessages(ctx, ctx.profile.http.stateMessages);
  const token = await ctx.stack.mint("http-state-0@bench.test");
  const check = await fetch(`${apiUrl}/state?sessionId=${sessionId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const state = (await check.json()) as { session?: { messages?: unknown[] } };
  const stateMessages = state.session?.messages?.length ?? 0;
  const endpoints = [
    await hammer(ctx, "GET /health", `${apiUrl}/health`, {}),
    await hammer(ctx, "GET /state", `${apiUrl}/state?sessionId=${sessionId}`, {
      authorization: `Bearer ${token}`,
    }),
  ];
  return { stateMessages, endpoints };
}
