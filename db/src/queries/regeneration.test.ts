import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import {
  finishAssistantMessage,
  historyItems,
  insertRegeneration,
  insertTurn,
  isSessionBusy,
  latestMessages,
} from "./messages.ts";
import { createSession } from "./sessions.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  userId = await createTestUser(db.sql, "regenerate");
});
afterAll(() => db.close());

const item = (text: string) => ({ role: "assistant", content: text });

async function answeredTurn(sessionId: string, text: string) {
  const stored = await db.sql.begin((tx) =>
    insertTurn(tx, {
      sessionId,
      text,
      clientMsgId: crypto.randomUUID(),
      runId: crypto.randomUUID(),
    }),
  );
  if (!("user" in stored)) throw new Error("unexpected duplicate");
  await finishAssistantMessage(db.sql, stored.assistant.id, {
    content: `answer to ${text}`,
    status: "complete",
    items: [item(`answer to ${text}`)],
  });
  return stored;
}

const regenerate = (sessionId: string, clientMsgId: string = crypto.randomUUID()) =>
  db.sql.begin((tx) =>
    insertRegeneration(tx, { sessionId, clientMsgId, runId: crypto.randomUUID() }),
  );

describe("regenerating the last answer", () => {
  test("a new placeholder after the old answer, for the last question; the old one is kept", async () => {
    const session = await createSession(db.sql, userId, "r");
    await answeredTurn(session.id, "one");
    const second = await answeredTurn(session.id, "two");
    const again = await regenerate(session.id, "again-1");
    if (!("user" in again)) throw new Error("expected a stored regeneration");
    expect(again.user).toEqual(second.user);
    expect(again.assistant).toMatchObject({
      seq: 5,
      role: "assistant",
      status: "streaming",
      clientMsgId: "again-1",
    });
    expect((await latestMessages(db.sql, session.id)).map((m) => [m.seq, m.role])).toEqual([
      [1, "user"],
      [2, "assistant"],
      [3, "user"],
      [4, "assistant"],
      [5, "assistant"],
    ]);
    // A re-sent frame finds the first one's answer instead of starting another run.
    expect(await regenerate(session.id, "again-1")).toEqual({
      duplicate: again.assistant,
      sessionId: session.id,
    });
  });

  test("refused as busy while an answer is being written, by whoever writes it", async () => {
    const session = await createSession(db.sql, userId, "busy");
    const first = await answeredTurn(session.id, "one");
    const again = await regenerate(session.id);
    expect("user" in again).toBe(true);
    const error = await regenerate(session.id).catch((e: unknown) => e);
    expect(isSessionBusy(error)).toBe(true);
    expect(first.assistant.seq).toBe(2);
  });

  test("nothing to regenerate in a session without an answered question", async () => {
    const session = await createSession(db.sql, userId, "empty");
    expect(await regenerate(session.id)).toEqual({ nothing: true });
  });

  test("the agent's context leaves replaced answers out, keeps the one that replaced them", async () => {
    const session = await createSession(db.sql, userId, "history");
    await answeredTurn(session.id, "one");
    const two = await answeredTurn(session.id, "two");
    const again = await regenerate(session.id);
    if (!("user" in again)) throw new Error("expected a stored regeneration");
    // The new run's own context stops before its question, as the first run's did.
    expect(await historyItems(db.sql, session.id, two.user.seq)).toEqual([item("answer to one")]);
    await finishAssistantMessage(db.sql, again.assistant.id, {
      content: "a better answer",
      status: "complete",
      items: [item("a better answer")],
    });
    const three = await answeredTurn(session.id, "three");
    expect(await historyItems(db.sql, session.id, three.user.seq)).toEqual([
      item("answer to one"),
      item("a better answer"),
    ]);
  });
});
