/**
 * GET /health: liveness plus readiness detail. 503 only when the database is down. Both
 * verdicts come from background probes at most a second old (fresh.ts), so the answer needs no
 * I/O: a load balancer polling hard costs four `select 1` a second, not one per request (that
 * query bounded /health at ~9k req/s).
 */
import { ping, type Sql } from "@trainer2/db";
import { Hono } from "hono";
import type { AgentStatusProbe } from "./agent-status.ts";
import { type FreshProbe, keptFresh } from "./fresh.ts";

/** The database's readiness, probed in the background; `stop()` when the app closes. */
export const databaseStatus = (sql: Sql, maxAgeMs = 1000): FreshProbe<boolean> =>
  keptFresh(() => ping(sql, 2000), { maxAgeMs });

export function healthRoutes(deps: {
  databaseStatus: FreshProbe<boolean>;
  agentStatus: AgentStatusProbe;
  /** Which api process answered (behind a proxy or with API_WORKERS, one of several). */
  processId: string;
}) {
  const app = new Hono();
  app.get("/health", async (c) => {
    const [dbOk, agent] = await Promise.all([deps.databaseStatus.read(), deps.agentStatus()]);
    return c.json(
      {
        status: dbOk ? "ok" : "degraded",
        db: dbOk ? "ok" : "down",
        agent: !agent.reachable ? "unreachable" : agent.ready ? "ok" : "not_ready",
        agentMode: agent.mode,
        process: deps.processId,
      },
      dbOk ? 200 : 503,
    );
  });
  return app;
}
