/**
 * A person's data is theirs: `GET /account/export` downloads all of it as one JSON file (its
 * schema: @trainer2/shared/account-data), `DELETE /account` deletes all of it, confirmed by
 * the account's email typed again. After a deletion the user's sockets close on every api
 * process (close 4410), so no open page writes anything back; the next sign-in starts afresh.
 */
import type { Sql } from "@trainer2/db";
import { deleteAccount, exportAccount } from "@trainer2/db/queries/account";
import { accountExportDto } from "@trainer2/shared/account-data";
import { AppError } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";
import { deleteAccountBody } from "@trainer2/shared/wire";
import { Hono } from "hono";
import { type Authenticate, type AuthVariables, requireUser } from "../auth/authenticate.ts";
import { jsonBody } from "../http/json-body.ts";
import { charged, costs, type PersonLimits } from "../http/person-limits.ts";

export type AccountRoutesDeps = {
  sql: Sql;
  authenticate: Authenticate;
  logger: Logger;
  /** Closes the user's sockets, here and on the other api processes. */
  closeUserSockets: (userId: string) => void;
  /** What a person may ask per second, by cost (an export reads their whole account). */
  limits: PersonLimits;
};

/** What a person types to confirm when their sign-in gave no email. */
export const confirmationWithoutEmail = "delete my account";

const sameText = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function accountRoutes(deps: AccountRoutesDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  const signedIn = requireUser(deps.authenticate);

  app.get("/account/export", signedIn, charged(deps.limits, costs.export), async (c) => {
    const { user } = c.var.auth;
    const exported = await exportAccount(deps.sql, user.id);
    if (!exported) throw new AppError("not_found", "User not found.");
    const day = exported.exportedAt.slice(0, 10);
    c.header("content-disposition", `attachment; filename="trainer2-data-${day}.json"`);
    c.header("cache-control", "no-store");
    // Checked against the file's own contract: a column added without its place in the
    // schema fails here (and in the tests), never as a file that silently misses it.
    return c.json(accountExportDto.parse(exported));
  });

  app.delete("/account", signedIn, charged(deps.limits, costs.accountDelete), async (c) => {
    const { user } = c.var.auth;
    const { email } = await jsonBody(c, deleteAccountBody);
    const expected = user.email ?? confirmationWithoutEmail;
    if (!sameText(email, expected))
      throw new AppError(
        "bad_request",
        user.email
          ? "email: type the email of this account to confirm."
          : `email: type "${confirmationWithoutEmail}" to confirm.`,
      );
    const outcome = await deleteAccount(deps.sql, user.id);
    if (outcome === "busy")
      throw new AppError(
        "busy",
        "The trainer is still answering one of your chats: stop the answer, then delete the account.",
      );
    if (outcome === "deleted") {
      deps.logger.info("account deleted", { userId: user.id });
      deps.closeUserSockets(user.id);
    }
    // Already gone (a second click, another tab): the person's wish holds either way.
    return c.body(null, 204);
  });

  return app;
}
