/** GET /health: liveness plus readiness detail. 503 only when the database is down. */
import { ping, type Sql } from "@trainer2/db";
import { Hono } from "hono";
import type { AgentStatusProbe } from "./agent-status.ts";

export function healthRoutes(deps: {
  sql: Sql;
  agentStatus: AgentStatusProbe;
  /** Which api process answered (behind a proxy or with API_WORKERS, one of several). */
  processId: string;
}) {
  const app = new Hono();
  app.get("/health", async (c) => {
    const [dbOk, agent] = await Promise.all([ping(deps.sql, 2000), deps.agentStatus()]);
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
