/**
 * The `state` snapshot's reads, in one statement: the user, their profile, the chosen session
 * (the one asked for, if it is theirs, else their most recent), the sessions list, recent
 * workouts, training per week (the chart: get_training_summary's own query) and the chosen
 * session's latest messages. One round trip and one statement instead
 * of six: /state is read on every page load and reconnect, and statements were its cost.
 * Each part comes back as JSON of the table's own rows and goes through the same row mappers
 * as the single-entity reads, so both kinds of read give the same objects.
 */
import type { Message, Profile, SessionSummary, WeekSummary, Workout } from "@trainer2/shared/wire";
import { type MessageRow, maxMessagesInState, messageColumns, toMessage } from "./messages.ts";
import { emptyProfile, type ProfileRow, profileColumns, toProfile } from "./profiles.ts";
import {
  maxSessionsListed,
  type SessionRecord,
  type SessionRow,
  toSession,
  toSessionSummary,
} from "./sessions.ts";
import { fromJson, type Queryable, toUser, type UserRecord, type UserRow } from "./users.ts";
import {
  fillWeeks,
  toWorkout,
  type WeeklyTotals,
  type WorkoutRow,
  weeklyTotalsOf,
  weeklyTotalsSql,
  workoutColumns,
} from "./workouts.ts";

export const maxWorkoutsInState = 10;
/** Weeks of the state panel's chart of training minutes. */
export const trainingWeeksInState = 8;

export type StateRows = {
  user: UserRecord | null;
  profile: Profile;
  /** Null when the user has none, or `sessionId` is not theirs. */
  session: SessionRecord | null;
  sessions: SessionSummary[];
  workouts: Workout[];
  /** Minutes and workouts per week, the last `trainingWeeksInState`, oldest first. */
  trainingWeeks: WeekSummary[];
  /** The chosen session's latest messages, oldest first. */
  messages: Message[];
  /** What the snapshot was read at: the user's state_version and the database's date. */
  at: StateStamp;
};

/**
 * users.state_version (migration 0007: moved by every write to what the snapshot shows) and
 * the database's current date (the training chart's weeks end today): a snapshot read with
 * one stamp is the snapshot of any later read with the same stamp.
 */
export type StateStamp = { version: string; day: string };

type Json<T> = T | string | null;
const parsed = <T>(value: Json<T>): T | null => fromJson(value);

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
      training_weeks: WeeklyTotals | string;
      messages: Json<MessageRow[]>;
      version: string | null;
      day: string;
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
          select ${profileColumns} from profiles where user_id = $1) p) as profile,
       (select row_to_json(c) from chosen c) as session,
       (select coalesce(json_agg(s), '[]') from (
          select * from chat_sessions where user_id = $1
          order by updated_at desc, created_at desc limit $3) s) as sessions,
       (select coalesce(json_agg(w), '[]') from (
          select ${workoutColumns} from workouts where user_id = $1
          order by performed_on desc, created_at desc limit $4) w) as workouts,
       (${weeklyTotalsSql("$1", "$6")}) as training_weeks,
       (select coalesce(json_agg(m order by m.seq), '[]') from (
          select ${messageColumns} from messages where session_id = (select id from chosen)
          order by seq desc limit $5) m) as messages,
       (select state_version::text from users where id = $1) as version,
       current_date::text as day`,
    [
      userId,
      sessionId ?? null,
      maxSessionsListed,
      maxWorkoutsInState,
      maxMessagesInState,
      trainingWeeksInState,
    ],
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
    trainingWeeks: fillWeeks(weeklyTotalsOf(row!.training_weeks), trainingWeeksInState),
    messages: (parsed(row!.messages) ?? []).map(toMessage),
    at: { version: row!.version ?? "", day: row!.day },
  };
}

/**
 * The stamps of several users' snapshots as they are now, in one statement (the api checks
 * many requests' cached snapshots at once); a user who does not exist has none.
 */
export async function stateStamps(
  sql: Queryable,
  userIds: readonly string[],
): Promise<Map<string, StateStamp>> {
  const rows = await sql<{ id: string; version: string; day: string }[]>`
    select id, state_version::text as version, current_date::text as day
    from users where id = any(${sql.array(userIds as string[])}::uuid[])`;
  return new Map(rows.map((row) => [row.id, { version: row.version, day: row.day }]));
}
