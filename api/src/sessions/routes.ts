/**
 * A person's chats over HTTP: `PATCH /sessions/:id` renames one, `DELETE /sessions/:id`
 * deletes it with its messages. Only the owner's; another's answers 404 as a missing one does.
 * Every socket of the user (on any api process) then gets a fresh `state` with the new list.
 */
import type { Sql } from "@trainer2/db";
import { deleteSession, renameSession } from "@trainer2/db/queries/sessions";
import { AppError } from "@trainer2/shared/errors";
import { renameSessionBody } from "@trainer2/shared/wire";
import { Hono } from "hono";
import { type Authenticate, type AuthVariables, requireUser } from "../auth/authenticate.ts";
import { jsonBody, sessionIdParam } from "../http/json-body.ts";
import { charged, costs, type PersonLimits } from "../http/person-limits.ts";

export type SessionRoutesDeps = {
  sql: Sql;
  authenticate: Authenticate;
  /** The user's sockets, here and on other processes, get a fresh `state`. */
  publishState: (userId: string) => void;
  /** What a person may ask per second, by cost. */
  limits: PersonLimits;
};

const notFound = () => new AppError("not_found", "Session not found.");

export function sessionRoutes(deps: SessionRoutesDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const signedIn = requireUser(deps.authenticate);
  const charge = charged(deps.limits, costs.session);

  app.patch("/sessions/:id", signedIn, charge, async (c) => {
    const sessionId = sessionIdParam(c.req.param("id"));
    const { title } = await jsonBody(c, renameSessionBody);
    const userId = c.var.auth.user.id;
    const renamed = await renameSession(deps.sql, userId, sessionId, title);
    if (!renamed) throw notFound();
    deps.publishState(userId);
    return c.json(renamed);
  });

  app.delete("/sessions/:id", signedIn, charge, async (c) => {
    const sessionId = sessionIdParam(c.req.param("id"));
    const userId = c.var.auth.user.id;
    const outcome = await deleteSession(deps.sql, userId, sessionId);
    if (outcome === "not_found") throw notFound();
    // The database says an answer is being written in it, whichever api process writes it.
    if (outcome === "busy")
      throw new AppError(
        "busy",
        "The trainer is still answering in this chat: stop the answer, then delete the chat.",
        { details: { sessionId } },
      );
    deps.publishState(userId);
    return c.body(null, 204);
  });

  return app;
}
