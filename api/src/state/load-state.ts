/** The `state` snapshot: who the user is, their profile, one session, and recent activity. */
import type { Sql } from "@trainer2/db";
import { readState } from "@trainer2/db/queries/state";
import { AppError } from "@trainer2/shared/errors";
import type { State } from "@trainer2/shared/wire";
import { toUserDto } from "../auth/authenticate.ts";

/**
 * `sessionId` given: that session, which must be the user's (404 otherwise, with no hint
 * whether it exists). Omitted: the user's most recent session, or none. One statement.
 */
export async function loadState(
  sql: Sql,
  userId: string,
  sessionId: string | undefined,
): Promise<State> {
  const rows = await readState(sql, userId, sessionId);
  if (!rows.user) throw new AppError("not_found", "User not found.");
  if (sessionId && !rows.session) throw new AppError("not_found", "Session not found.");
  const { session } = rows;
  return {
    user: toUserDto(rows.user),
    profile: rows.profile,
    session: session ? { id: session.id, title: session.title, messages: rows.messages } : null,
    sessions: rows.sessions,
    workouts: rows.workouts,
  };
}
