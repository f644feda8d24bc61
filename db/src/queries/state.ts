/**
 * The `state` snapshot's reads, in one statement: the user, their profile, the chosen session
 * (the one asked for, if it is theirs, else their most recent), the sessions list, recent
 * workouts and the chosen session's latest messages. One round trip and one statement instead
 * of six: /state is read on every page load and reconnect, and statements were its cost.
 * Each part comes back as JSON of the table's own rows and goes through the same row mappers
 * as the single-entity reads, so both kinds of read give the same objects.
 */
import type { Message, Profile, SessionSummary, Workout } from "@trainer2/shared/wire";
import { type MessageRow, maxMessagesInState, messageColumns, toMessage } from "./messages.ts";
import { emptyProfile, type ProfileRow, toProfile } from "./profiles.ts";
import {
  maxSessionsListed,
  type SessionRecord,
  type SessionRow,
  toSession,
  toSessionSummary,
} from "./sessions.ts";
import { type Queryable, toUser, type UserRecord, type UserRow } from "./users.ts";
import { toWorkout, type WorkoutRow, workoutColumns } from "./workouts.ts";

export const maxWorkoutsInState = 10;

export type StateRows = {
  user: UserRecord | null;
  profile: Profile;
  /** Null when the user has none, or `sessionId` is not theirs. */
  session: SessionRecord | null;
  sessions: SessionSummary[];
  workouts: Workout[];
  /** The chosen session's latest messages, oldest first. */
  messages: Message[];
};

type Json<T> = T | string | null;
/** json columns arrive parsed from Postgres, as text from some drivers (PGlite's socket). */
const parsed = <T>(value: Json<T>): T | null =>
  typeof value === "string" ? (JSON.parse(value) as T) : value;

export async function readState(
  sql: Queryable,
  userId: string,
  sessionId: string | undefined,
): Promise<StateRows> {
  const [row] = await sql.unsafe<
    {
      user: Json<UserRow>;
      profile: Json<ProfileRow>;
      session: Json<SessionRow>;
      sessions: Json<SessionRow[]>;
      workouts: Json<WorkoutRow[]>;
      messages: Json<MessageRow[]>;
    }[]
  >(
    `with chosen as (
       select * from chat_sessions
       where user_id = $1 and ($2::uuid is null or id = $2::uuid)
       order by updated_at desc, created_at desc limit 1
     )
     select
       (select row_to_json(u) from users u where u.id = $1) as "user",
       (select row_to_json(p) from (
          select display_name, goals, experience_level, equipment, limitations, units, updated_at
          from profiles where user_id = $1) p) as profile,
       (select row_to_json(c) from chosen c) as session,
       (select coalesce(json_agg(s), '[]') from (
          select * from chat_sessions where user_id = $1
          order by updated_at desc, created_at desc limit $3) s) as sessions,
       (select coalesce(json_agg(w), '[]') from (
          select ${workoutColumns} from workouts where user_id = $1
          order by performed_on desc, created_at desc limit $4) w) as workouts,
       (select coalesce(json_agg(m order by m.seq), '[]') from (
          select ${messageColumns} from messages where session_id = (select id from chosen)
          order by seq desc limit $5) m) as messages`,
    [userId, sessionId ?? null, maxSessionsListed, maxWorkoutsInState, maxMessagesInState],
  );
  const user = parsed(row!.user);
  const profile = parsed(row!.profile);
  const session = parsed(row!.session);
  return {
    user: user ? toUser(user) : null,
    profile: profile ? toProfile(profile) : emptyProfile(),
    session: session ? toSession(session) : null,
    sessions: (parsed(row!.sessions) ?? []).map(toSessionSummary),
    workouts: (parsed(row!.workouts) ?? []).map(toWorkout),
    messages: (parsed(row!.messages) ?? []).map(toMessage),
  };
}
