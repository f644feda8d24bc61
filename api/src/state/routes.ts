/** GET /state?sessionId=: the signed-in user's snapshot. */
import { AppError } from "@trainer2/shared/errors";
import { Hono } from "hono";
import { z } from "zod";
import { type Authenticate, type AuthVariables, requireUser } from "../auth/authenticate.ts";
import { charged, costs, type PersonLimits } from "../http/person-limits.ts";

const query = z.object({
  sessionId: z.uuid({ message: "sessionId: expected a UUID" }).optional(),
});

export function stateRoutes(deps: {
  authenticate: Authenticate;
  /** The state as JSON text (assemble.ts keeps the text of a kept snapshot). */
  stateJson: (userId: string, sessionId: string | undefined) => Promise<string>;
  /** What a person may ask per second, by cost (shared with `resume` frames). */
  limits: PersonLimits;
}) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get(
    "/state",
    requireUser(deps.authenticate),
    charged(deps.limits, costs.state),
    async (c) => {
      const parsed = query.safeParse({ sessionId: c.req.query("sessionId") });
      if (!parsed.success)
        throw new AppError("bad_request", parsed.error.issues[0]?.message ?? "Invalid query.");
      const json = await deps.stateJson(c.var.auth.user.id, parsed.data.sessionId);
      return c.body(json, 200, { "content-type": "application/json" });
    },
  );
  return app;
}
