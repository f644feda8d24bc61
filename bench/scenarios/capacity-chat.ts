/**
 * Scenario 3b: many sessions chatting at once for a fixed time. Each session sends its next
 * turn as soon as the last one completed; no new turn starts after the time is up, and the
 * ones in flight are waited for. Then the database is counted: every message sent must be
 * stored, and every completed answer too.
 */
import { cpuSeconds, descendantsOf } from "@trainer2/shared/processes";
import type { Service } from "@trainer2/testkit";
import { type Summary, summarize } from "../lib/stats.ts";
import { chatText } from "./chat-latency.ts";
import { closeAll, openSockets, type ScenarioContext, tally } from "./context.ts";

export type ChatLoadResult = {
  sessions: number;
  durationMs: number;
  turnsSent: number;
  turnsCompleted: number;
  failedTurns: number;
  failures: Record<string, number>;
  turnsPerSecond: number;
  turnMs: Summary;
  firstDeltaMs: Summary;
  /** CPU seconds each process spent during the load: where the machine's time went. */
  /** `db` only for the embedded database (a Postgres server is not the bench's child): else -1. */
  cpuSeconds: Record<"api" | "agent" | "model" | "db" | "bench", number>;
  /** CPU seconds of each api process (the parent first, then its workers, if any). */
  apiProcessCpuSeconds: number[];
  db: {
    userMessages: number;
    assistantMessages: number;
    assistantComplete: number;
    /** Every message sent is stored, and every completed answer is stored complete. */
    matches: boolean;
  };
};

/** Where the load goes: the stack's own pair, or a variant of it (another api setting). */
export type ChatTarget = {
  api: Service;
  agent: Service;
  wsUrl: string;
  /** The users' email domain: the database count finds exactly these users' messages. */
  domain: string;
};

async function countMessages(ctx: ScenarioContext, domain: string) {
  const rows = await ctx.stack.sql<{ role: string; status: string; n: number }[]>`
    select m.role, m.status, count(*)::int as n
    from messages m
    join chat_sessions s on s.id = m.session_id
    join users u on u.id = s.user_id
    where u.email like ${`%@${domain}`}
    group by m.role, m.status`;
  const sum = (role: string, status?: string) =>
    rows
      .filter((row) => row.role === role && (status === undefined || row.status === status))
      .reduce((total, row) => total + row.n, 0);
  return {
    userMessages: sum("user"),
    assistantMessages: sum("assistant"),
    assistantComplete: sum("assistant", "complete"),
  };
}

export const mainTarget = (ctx: ScenarioContext): ChatTarget => ({
  api: ctx.stack.api,
  agent: ctx.stack.agent,
  wsUrl: ctx.wsUrl,
  domain: "load.bench.test",
});

export async function capacityChat(
  ctx: ScenarioContext,
  target: ChatTarget = mainTarget(ctx),
): Promise<ChatLoadResult> {
  const { profile } = ctx;
  const count = profile.capacity.chatSessions;
  const sockets = await openSockets({ ...ctx, wsUrl: target.wsUrl }, "load", count, target.domain);
  const turnMs: number[] = [];
  const firstDelta: number[] = [];
  const failures: string[] = [];
  let sent = 0;
  let completed = 0;
  const { api, agent } = target;
  const { model } = ctx.stack;
  // With API_WORKERS the api is a parent and its workers: each process counts.
  const apiPids = [api.pid, ...descendantsOf(api.pid)];
  const apiCpu = () => apiPids.map(cpuSeconds);
  const apiBefore = apiCpu();
  const cpu = () => ({
    api: apiCpu().reduce((sum, seconds) => sum + seconds, 0),
    agent: cpuSeconds(agent.pid),
    model: cpuSeconds(model.pid),
    db: ctx.stack.db.child ? cpuSeconds(ctx.stack.db.child.pid) : Number.NaN,
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const cpuBefore = cpu();
  const started = performance.now();
  const deadline = started + profile.capacity.chatTimeMs;
  try {
    await Promise.all(
      sockets.map(async (socket) => {
        // Bounded by time and by a generous count per session.
        for (
          let index = 0;
          index < 100_000 && ctx.alive() && performance.now() < deadline;
          index++
        ) {
          sent += 1;
          const result = await socket.turn(chatText, profile.turnTimeoutMs);
          if (!result.ok) {
            failures.push(result.reason);
            continue;
          }
          completed += 1;
          turnMs.push(result.completedMs);
          firstDelta.push(result.firstDeltaMs);
        }
      }),
    );
  } finally {
    closeAll(sockets);
  }
  const durationMs = performance.now() - started;
  const cpuAfter = cpu();
  const spent = (name: keyof typeof cpuAfter) => {
    const seconds = cpuAfter[name] - cpuBefore[name];
    return Number.isFinite(seconds) ? Math.round(seconds * 100) / 100 : -1;
  };
  // The assistant message is finished just before run.completed goes out; nothing to wait for.
  const stored = await countMessages(ctx, target.domain);
  const result: ChatLoadResult = {
    sessions: count,
    durationMs: Math.round(durationMs),
    turnsSent: sent,
    turnsCompleted: completed,
    failedTurns: failures.length,
    failures: tally(failures),
    turnsPerSecond: Math.round((completed / durationMs) * 1000 * 10) / 10,
    turnMs: summarize(turnMs),
    firstDeltaMs: summarize(firstDelta),
    cpuSeconds: {
      api: spent("api"),
      agent: spent("agent"),
      model: spent("model"),
      db: spent("db"),
      bench: spent("bench"),
    },
    apiProcessCpuSeconds: apiCpu().map(
      (seconds, i) => Math.round((seconds - apiBefore[i]!) * 100) / 100,
    ),
    db: {
      ...stored,
      matches:
        stored.userMessages === sent &&
        stored.assistantMessages === sent &&
        stored.assistantComplete === completed,
    },
  };
  ctx.log(
    `chat load (${target.domain}): ${count} sessions, ${result.turnsPerSecond} turns/s, p99 ${result.turnMs.p99.toFixed(0)} ms, ` +
      `${result.failedTurns} failed, db ${result.db.matches ? "matches" : "DOES NOT match"}`,
  );
  return result;
}
