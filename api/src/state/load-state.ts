/** The `state` snapshot: who the user is, their profile, one session, and recent activity. */
import type { Sql } from "@trainer2/db";
import { latestMessages } from "@trainer2/db/queries/messages";
import { getProfile } from "@trainer2/db/queries/profiles";
import { getOwnedSession, listSessions, mostRecentSession } from "@trainer2/db/queries/sessions";
import { recentWorkouts, trainingWeeks } from "@trainer2/db/queries/state";
import { findUserById } from "@trainer2/db/queries/users";
import { AppError } from "@trainer2/shared/errors";
import type { State } from "@trainer2/shared/wire";
import { toUserDto } from "../auth/authenticate.ts";

/**
 * `sessionId` given: that session, which must be the user's (404 otherwise, with no hint
 * whether it exists). Omitted: the user's most recent session, or none.
 */
export async function loadState(
  sql: Sql,
  userId: string,
  sessionId: string | undefined,
): Promise<State> {
  const [user, session] = await Promise.all([
    findUserById(sql, userId),
    sessionId ? getOwnedSession(sql, userId, sessionId) : mostRecentSession(sql, userId),
  ]);
  if (!user) throw new AppError("not_found", "User not found.");
  if (sessionId && !session) throw new AppError("not_found", "Session not found.");
  const [profile, sessions, workouts, messages, weeks] = await Promise.all([
    getProfile(sql, userId),
    listSessions(sql, userId),
    recentWorkouts(sql, userId),
    session ? latestMessages(sql, session.id) : [],
    trainingWeeks(sql, userId),
  ]);
  return {
    user: toUserDto(user),
    profile,
    session: session ? { id: session.id, title: session.title, messages } : null,
    sessions,
    workouts,
    trainingWeeks: weeks,
  };
}
