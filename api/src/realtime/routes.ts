/** GET /realtime: the chat WebSocket. */
import { AppError, toAppError } from "@trainer2/shared/errors";
import { errorJson } from "@trainer2/shared/http";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/bun";
import { connectionEvents, type PreAuth } from "./connection.ts";
import type { RealtimeContext } from "./context.ts";

export function realtimeRoutes(ctx: RealtimeContext) {
  const app = new Hono<{ Variables: { preAuth: PreAuth } }>();
  app.get(
    "/realtime",
    async (c, next) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
        return errorJson(
          c,
          new AppError("bad_request", "This endpoint speaks WebSocket only."),
          426,
        );
      // Verified before the upgrade (an await in the open handler would drop the first
      // frame) but reported after it as a close code, which a browser can actually see:
      // 4401 for a bad token only; an outage (database down) is a retryable 1013.
      const token = c.req.query("token");
      let preAuth: PreAuth = null;
      if (token) {
        try {
          preAuth = { ok: await ctx.authenticate(token) };
        } catch (error) {
          const appError = toAppError(error);
          if (appError.code !== "unauthorized") ctx.logger.error("socket auth failed", { error });
          preAuth = { error: appError };
        }
      }
      c.set("preAuth", preAuth);
      await next();
    },
    upgradeWebSocket((c) => connectionEvents(ctx, c.get("preAuth"), ctx.clientIp(c))),
  );
  return app;
}
