/**
 * Mount point for the tool implementations and the signed /capabilities surface
 * (GET /capabilities, POST /tools/:name, POST /tools/:name/approval). app.ts mounts it with `app.route("/", …)`.
 */
import type { Sql } from "@trainer2/db";
import { answerErrorsAsJson } from "@trainer2/shared/http";
import { createMetrics, type Metrics } from "@trainer2/shared/metrics";
import { initTelemetry, type Telemetry } from "@trainer2/shared/telemetry";
import type { KeyLike } from "@trainer2/shared/tokens";
import { Hono } from "hono";
import { capabilitiesHandler } from "../capabilities/route.ts";
import type { Tool } from "./define-tool.ts";
import { loadTools } from "./registry.ts";

export { defineTool, type Tool } from "./define-tool.ts";
export { discoverTools, loadTools } from "./registry.ts";

import { approvalNeededHandler } from "./approval-route.ts";
import { type ToolLogger, toolCallHandler } from "./tool-route.ts";

export type ToolsDeps = {
  sql: Sql;
  keys: {
    /** Signs the capabilities document. */
    apiPrivateKey: KeyLike;
    /** Verifies run tokens the api issued. */
    apiPublicKey: KeyLike;
    /** Verifies the agent's JWTs. */
    agentPublicKey: KeyLike;
  };
  /** Called after a tool changed a user's data, so their open sockets get a `state` event. */
  onStateChanged: (userId: string, sessionId: string) => void;
  /** The tools to serve; default: every `*.tool.ts` in this folder. Tests pass their own. */
  tools?: Tool[];
  /** Where failures' causes go; default: a JSON line on stderr. */
  logger?: ToolLogger;
  /** Handler and database spans; default: spans that go nowhere. */
  telemetry?: Telemetry;
  /** `tool_calls_total`; default: a registry of its own. */
  metrics?: Pick<Metrics, "recordToolCall">;
};

const stderrLogger: ToolLogger = {
  error: (message, fields) => {
    const cause = fields?.cause instanceof Error ? fields.cause.message : undefined;
    console.error(JSON.stringify({ level: "error", service: "api", message, ...fields, cause }));
  },
};

export function capabilitiesAndTools(deps: ToolsDeps): Hono {
  const tools = deps.tools ? () => Promise.resolve(deps.tools!) : loadTools;
  const logger = deps.logger ?? stderrLogger;
  // Load now, not on the first call: a broken tool module shows in the log at start-up.
  tools().catch((error) => logger.error("tool registry failed to load", { cause: error }));
  const app = new Hono();

  // Routes answer their own expected failures; this is for the unexpected (db down, …).
  answerErrorsAsJson(app, (error) => logger.error("request failed", { cause: error.cause }));

  app.get(
    "/capabilities",
    capabilitiesHandler({
      sql: deps.sql,
      tools,
      apiPrivateKey: deps.keys.apiPrivateKey,
      agentPublicKey: deps.keys.agentPublicKey,
    }),
  );
  app.post(
    "/tools/:name",
    toolCallHandler({
      sql: deps.sql,
      tools,
      apiPublicKey: deps.keys.apiPublicKey,
      agentPublicKey: deps.keys.agentPublicKey,
      onStateChanged: deps.onStateChanged,
      logger,
      telemetry: deps.telemetry ?? initTelemetry({ serviceName: "api", logLevel: "silent" }),
      metrics: deps.metrics ?? createMetrics("api", { defaultMetrics: false }),
    }),
  );
  app.post(
    "/tools/:name/approval",
    approvalNeededHandler({
      sql: deps.sql,
      tools,
      apiPublicKey: deps.keys.apiPublicKey,
      agentPublicKey: deps.keys.agentPublicKey,
    }),
  );
  return app;
}
