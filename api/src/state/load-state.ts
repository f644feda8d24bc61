/** The `state` snapshot: who the user is, their profile, one session, and recent activity. */
import type { Sql } from "@trainer2/db";
import { readState } from "@trainer2/db/queries/state";
import { AppError } from "@trainer2/shared/errors";
import type { State } from "@trainer2/shared/wire";
import { toUserDto } from "../auth/authenticate.ts";
import type { Stamped } from "./state-cache.ts";

/**
 * `sessionId` given: that session, which must be the user's (404 otherwise, with no hint
 * whether it exists). Omitted: the user's most recent session, or none. One statement.
 */
export async function loadState(
  sql: Sql,
  userId: string,
  sessionId: string | undefined,
): Promise<State> {
  return (await loadStampedState(sql, userId, sessionId)).state;
}

/** The same, with the stamp it was read at (state-cache.ts keeps it while it is current). */
export async function loadStampedState(
  sql: Sql,
  userId: string,
  sessionId: string | undefined,
): Promise<Stamped> {
  const rows = await readState(sql, userId, sessionId);
  if (!rows.user) throw new AppError("not_found", "User not found.");
  if (sessionId && !rows.session) throw new AppError("not_found", "Session not found.");
  const { session } = rows;
  const state: State = {
    user: toUserDto(rows.user),
    profile: rows.profile,
    session: session ? { id: session.id, title: session.title, messages: rows.messages } : null,
    sessions: rows.sessions,
    workouts: rows.workouts,
    trainingWeeks: rows.trainingWeeks,
  };
  return { state, at: rows.at };
}
