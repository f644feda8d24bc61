/**
 * `--api-workers N`: the capacity load and `GET /state` again, against one api command with
 * API_WORKERS=N (N processes on one port) on the same database, agent and model; compared
 * with the one-process figures of the same run. Each worker's own /metrics (METRICS_PORT + N
 * for worker N) gives what the bus cost: notifications and messages per second during the load.
 */
import { freePort, portIsFree } from "@trainer2/shared/processes";
import { type ChatLoadResult, capacityChat } from "./capacity-chat.ts";
import type { ScenarioContext } from "./context.ts";
import { type HttpEndpoint, hammer, sessionWithMessages } from "./http.ts";

export type ApiWorkersResult = {
  processes: number;
  chat: ChatLoadResult;
  /** NOTIFYs per second all workers sent during the chat load, and bus messages. */
  notificationsPerSecond: number;
  busMessagesPerSecond: number;
  state: HttpEndpoint;
};

/** `count` consecutive free ports (the merged metrics, then one per worker's). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, i) => portIsFree(base + i + 1)),
    );
    if (rest.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** A counter summed over every worker's own /metrics. */
async function sumOver(urls: string[], metric: string): Promise<number> {
  const texts = await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
  const pattern = new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`, "m");
  return texts.reduce((sum, text) => sum + Number(pattern.exec(text)?.[2] ?? 0), 0);
}

async function untilAnswering(urls: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const url of urls)
    while (
      !(await fetch(url).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`${url} did not answer`);
      await Bun.sleep(50);
    }
}

export async function apiWorkers(ctx: ScenarioContext, count: number): Promise<ApiWorkersResult> {
  const base = await freePorts(count + 1);
  const variant = await ctx.stack.startVariant({
    API_WORKERS: String(count),
    METRICS_PORT: String(base),
  });
  try {
    const metricsUrls = Array.from(
      { length: count },
      (_, i) => `http://127.0.0.1:${base + i + 1}/metrics`,
    );
    await untilAnswering(metricsUrls);
    const target = {
      api: variant.api,
      agent: variant.agent,
      wsUrl: `${variant.api.url.replace(/^http/, "ws")}/realtime`,
      domain: "workers.bench.test",
    };
    const before = await Promise.all([
      sumOver(metricsUrls, "bus_notifications_total"),
      sumOver(metricsUrls, "bus_messages_sent_total"),
    ]);
    const chat = await capacityChat(ctx, target);
    const after = await Promise.all([
      sumOver(metricsUrls, "bus_notifications_total"),
      sumOver(metricsUrls, "bus_messages_sent_total"),
    ]);
    const perSecond = (i: number) =>
      Math.round(((after[i]! - before[i]!) / (chat.durationMs / 1000)) * 10) / 10;
    const stateCtx = { ...ctx, wsUrl: target.wsUrl };
    const sessionId = await sessionWithMessages(stateCtx, ctx.profile.http.stateMessages);
    const token = await ctx.stack.mint("http-state-0@bench.test");
    const state = await hammer(
      ctx,
      "GET /state",
      `${variant.api.url}/state?sessionId=${sessionId}`,
      {
        authorization: `Bearer ${token}`,
      },
    );
    ctx.log(`api workers: ${count} processes, ${perSecond(0)} NOTIFY/s during the chat load`);
    return {
      processes: count,
      chat,
      notificationsPerSecond: perSecond(0),
      busMessagesPerSecond: perSecond(1),
      state,
    };
  } finally {
    await variant.stop();
  }
}
