/**
 * The one-statement state read gives exactly what the single-entity reads give, row mappers
 * included (dates, jsonb, tool lines, error codes), and picks the session as /state promises.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { finishAssistantMessage, insertTurn, latestMessages } from "./messages.ts";
import { updateProfile } from "./profile-updates.ts";
import { getProfile } from "./profiles.ts";
import {
  createSession,
  deleteSession,
  getOwnedSession,
  listSessions,
  mostRecentSession,
  renameSession,
} from "./sessions.ts";
import { readState, stateStamps, trainingWeeksInState } from "./state.ts";
import { upsertUserFromIdentity } from "./users.ts";
import { deleteWorkout, insertWorkout, listWorkouts, weeklySummary } from "./workouts.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

async function newUser(subject: string) {
  const { user } = await upsertUserFromIdentity(db.sql, {
    issuer: "test",
    subject,
    email: `${subject}@example.com`,
    name: subject,
    picture: null,
  });
  return user;
}

async function turn(sessionId: string, text: string) {
  const stored = await db.sql.begin((tx) =>
    insertTurn(tx, {
      sessionId,
      text,
      clientMsgId: crypto.randomUUID(),
      runId: crypto.randomUUID(),
    }),
  );
  if ("duplicate" in stored) throw new Error("unexpected duplicate");
  return stored;
}

describe("readState", () => {
  test("matches the single reads, field for field", async () => {
    const user = await newUser(`state-${crypto.randomUUID()}`);
    await updateProfile(db.sql, user.id, { goals: "Run 10k", equipment: ["bike", "mat"] });
    await insertWorkout(db.sql, user.id, {
      performedOn: "2026-11-02",
      kind: "strength",
      durationMin: 45,
      exercises: [
        { name: "squat", sets: 3, reps: 5, weightKg: 82.5, distanceKm: null, durationMin: null },
      ],
      notes: "felt good",
    });
    await insertWorkout(db.sql, user.id, {
      performedOn: null,
      kind: "run",
      durationMin: null,
      exercises: [],
      notes: null,
    });
    const older = await createSession(db.sql, user.id, "older");
    await turn(older.id, "hello");
    const newer = await createSession(db.sql, user.id, "newer");
    const first = await turn(newer.id, "log my squats");
    await finishAssistantMessage(db.sql, first.assistant.id, {
      content: "Logged.",
      status: "complete",
      items: [{ role: "assistant", content: "Logged." }] as never,
      tools: [{ name: "log_workout", status: "ok", summary: "Logged a workout" }],
    });
    const second = await turn(newer.id, "and now?");
    await finishAssistantMessage(db.sql, second.assistant.id, {
      content: "Part",
      status: "failed",
      errorCode: "agent_error",
    });
    await turn(newer.id, "still there?"); // its answer is left streaming

    const latest = await readState(db.sql, user.id, undefined);
    expect(latest).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email, name: user.name }),
      profile: await getProfile(db.sql, user.id),
      session: await mostRecentSession(db.sql, user.id),
      sessions: await listSessions(db.sql, user.id),
      workouts: await listWorkouts(db.sql, user.id, { limit: 10, from: null, to: null }),
      // The chart's weeks: get_training_summary's own query, run alone.
      trainingWeeks: await weeklySummary(db.sql, user.id, trainingWeeksInState),
      messages: await latestMessages(db.sql, newer.id),
      at: (await stateStamps(db.sql, [user.id])).get(user.id)!,
    });
    expect(latest.trainingWeeks).toHaveLength(trainingWeeksInState);
    expect(latest.trainingWeeks.at(-1)).toMatchObject({ workouts: 1, minutes: 0 });
    expect(latest.session?.id).toBe(newer.id);
    expect(latest.messages.map((m) => [m.role, m.status, m.errorCode])).toEqual([
      ["user", "complete", null],
      ["assistant", "complete", null],
      ["user", "complete", null],
      ["assistant", "failed", "agent_error"],
      ["user", "complete", null],
      ["assistant", "streaming", null],
    ]);
    expect(latest.workouts.map((w) => w.exercises)).toContainEqual([
      { name: "squat", sets: 3, reps: 5, weightKg: 82.5, distanceKm: null, durationMin: null },
    ]);

    const chosen = await readState(db.sql, user.id, older.id);
    expect(chosen.session).toEqual(await getOwnedSession(db.sql, user.id, older.id));
    expect(chosen.messages).toEqual(await latestMessages(db.sql, older.id));
  });

  test("another user's session is not chosen, and a new user has none", async () => {
    const owner = await newUser(`owner-${crypto.randomUUID()}`);
    const stranger = await newUser(`stranger-${crypto.randomUUID()}`);
    const session = await createSession(db.sql, owner.id, "private");
    await turn(session.id, "secret");
    const peek = await readState(db.sql, stranger.id, session.id);
    expect(peek.session).toBeNull();
    expect(peek.messages).toEqual([]);
    const fresh = await readState(db.sql, stranger.id, undefined);
    expect(fresh).toMatchObject({ session: null, sessions: [], workouts: [], messages: [] });
    expect(fresh.profile).toEqual(await getProfile(db.sql, stranger.id));
  });

  test("an unknown user reads as no user", async () => {
    expect((await readState(db.sql, crypto.randomUUID(), undefined)).user).toBeNull();
  });
});

describe("state stamps", () => {
  const stampOf = async (userId: string) => (await stateStamps(db.sql, [userId])).get(userId);

  test("every write to what the snapshot shows moves the user's version, and only theirs", async () => {
    const user = await newUser(`stamp-${crypto.randomUUID()}`);
    const other = await newUser(`stamp-other-${crypto.randomUUID()}`);
    const otherBefore = await stampOf(other.id);
    const versions = [(await stampOf(user.id))!.version];
    const moved = async (what: string, write: () => Promise<unknown>) => {
      await write();
      const now = (await stampOf(user.id))!.version;
      expect({ what, moved: now !== versions.at(-1) }).toEqual({ what, moved: true });
      versions.push(now);
    };
    const session = await createSession(db.sql, user.id, "first");
    await moved("a session renamed", () => renameSession(db.sql, user.id, session.id, "renamed"));
    let stored: Awaited<ReturnType<typeof turn>> | undefined;
    await moved("a turn stored", async () => {
      stored = await turn(session.id, "hello");
    });
    await moved("an answer finished", () =>
      finishAssistantMessage(db.sql, stored!.assistant.id, { content: "hi", status: "complete" }),
    );
    await moved("the profile changed", () => updateProfile(db.sql, user.id, { goals: "Swim" }));
    let workoutId = "";
    await moved("a workout logged", async () => {
      workoutId = (
        await insertWorkout(db.sql, user.id, {
          performedOn: "2026-11-02",
          kind: "run",
          durationMin: 30,
          exercises: [],
          notes: null,
        })
      ).id;
    });
    await moved("a workout deleted", () => deleteWorkout(db.sql, user.id, workoutId));
    await moved(
      "the user's own row changed",
      () => db.sql`update users set name = 'Renamed' where id = ${user.id}`,
    );
    await moved("a session deleted with its messages", () =>
      deleteSession(db.sql, user.id, session.id),
    );
    expect(await stampOf(other.id)).toEqual(otherBefore);
    // A snapshot's own stamp is the stamp read right after it, while nothing is written.
    expect((await readState(db.sql, user.id, undefined)).at).toEqual((await stampOf(user.id))!);
  });

  test("several users in one statement; one that does not exist has none", async () => {
    const [a, b] = [
      await newUser(`s-${crypto.randomUUID()}`),
      await newUser(`s-${crypto.randomUUID()}`),
    ];
    const missing = crypto.randomUUID();
    const stamps = await stateStamps(db.sql, [a.id, b.id, missing]);
    expect([...stamps.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(stamps.get(a.id)?.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
