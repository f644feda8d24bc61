import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import {
  finishAssistantMessage,
  historyItems,
  insertTurn,
  isSessionBusy,
  latestMessages,
  messagesAfter,
} from "./messages.ts";
import { createSession, getOwnedSession, titleFrom } from "./sessions.ts";
import { upsertUserFromIdentity } from "./users.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  const { user } = await upsertUserFromIdentity(db.sql, {
    issuer: "test",
    subject: "messages",
    email: null,
    name: null,
    picture: null,
  });
  userId = user.id;
});
afterAll(async () => {
  await db.close();
});

async function turn(sessionId: string, text: string, clientMsgId: string = crypto.randomUUID()) {
  const stored = await db.sql.begin((tx) =>
    insertTurn(tx, { sessionId, text, clientMsgId, runId: crypto.randomUUID() }),
  );
  if ("duplicate" in stored) throw new Error("unexpected duplicate");
  return stored;
}

describe("messages", () => {
  test("a turn takes two consecutive seqs; a retried clientMsgId is reported, not stored", async () => {
    const session = await createSession(db.sql, userId, "t");
    const first = await turn(session.id, "one", "c1");
    expect([first.user.seq, first.assistant.seq]).toEqual([1, 2]);
    expect(first.assistant).toMatchObject({ role: "assistant", status: "streaming", content: "" });
    // One answer is written at a time per session: the next turn comes after this one ended.
    await finishAssistantMessage(db.sql, first.assistant.id, { content: "1", status: "complete" });
    const second = await turn(session.id, "two");
    expect([second.user.seq, second.assistant.seq]).toEqual([3, 4]);
    const retried = await db.sql.begin((tx) =>
      insertTurn(tx, {
        sessionId: session.id,
        text: "one",
        clientMsgId: "c1",
        runId: crypto.randomUUID(),
      }),
    );
    expect(retried).toEqual({ duplicate: first.user, sessionId: session.id });
    expect((await getOwnedSession(db.sql, userId, session.id))?.lastSeq).toBe(4);
  });

  test("concurrent turns in one session never share a seq", async () => {
    const session = await createSession(db.sql, userId, "race");
    // Each ends its answer in its own transaction: the one-answer-at-a-time index lets the
    // next one in once the previous has committed, so they all land, one after another.
    const endedTurn = (text: string) =>
      db.sql.begin(async (tx) => {
        const stored = await insertTurn(tx, {
          sessionId: session.id,
          text,
          clientMsgId: crypto.randomUUID(),
          runId: crypto.randomUUID(),
        });
        if ("user" in stored)
          await finishAssistantMessage(tx, stored.assistant.id, {
            content: text,
            status: "complete",
          });
      });
    await Promise.all(Array.from({ length: 5 }, (_, i) => endedTurn(`m${i}`)));
    const seqs = (await messagesAfter(db.sql, session.id, 0)).map((m) => m.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("replay, the latest window, and history of completed turns only", async () => {
    const session = await createSession(db.sql, userId, "history");
    const a = await turn(session.id, "first");
    await finishAssistantMessage(db.sql, a.assistant.id, {
      content: "answer one",
      status: "complete",
      items: [
        { role: "user", content: "first" },
        { role: "assistant", content: "answer one" },
      ],
    });
    const b = await turn(session.id, "second");
    await finishAssistantMessage(db.sql, b.assistant.id, {
      content: "half",
      status: "interrupted",
      errorCode: "cancelled",
    });
    const c = await turn(session.id, "third");

    expect((await messagesAfter(db.sql, session.id, 2)).map((m) => m.content)).toEqual([
      "second",
      "half",
      "third",
      "",
    ]);
    expect((await latestMessages(db.sql, session.id, 3)).map((m) => m.seq)).toEqual([4, 5, 6]);
    // Why an answer ended travels with it, so a reload can say so.
    expect(
      (await latestMessages(db.sql, session.id)).map((m) => [m.role, m.status, m.errorCode]),
    ).toEqual([
      ["user", "complete", null],
      ["assistant", "complete", null],
      ["user", "complete", null],
      ["assistant", "interrupted", "cancelled"],
      ["user", "complete", null],
      ["assistant", "streaming", null],
    ]);
    expect(await historyItems(db.sql, session.id, c.user.seq)).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "answer one" },
    ]);
    expect(await historyItems(db.sql, session.id, a.user.seq)).toEqual([]);
    expect(await historyItems(db.sql, session.id, c.user.seq, { turns: 1, items: 1 })).toEqual([
      { role: "assistant", content: "answer one" },
    ]);
  });

  test("an answer with NUL characters is stored (replaced), not left streaming", async () => {
    const session = await createSession(db.sql, userId, "nul");
    const { assistant } = await turn(session.id, "hi");
    const ended = await finishAssistantMessage(db.sql, assistant.id, {
      content: "a\u0000b",
      status: "complete",
      items: [{ role: "assistant", "con\u0000tent": ["x\u0000"] }],
    });
    expect(ended).toMatchObject({ status: "complete", content: "a\uFFFDb" });
    expect(await historyItems(db.sql, session.id, assistant.seq + 1)).toEqual([
      { role: "assistant", "con\uFFFDtent": ["x\uFFFD"] },
    ]);
  });

  test("one answer at a time per session, whoever writes it: a second is refused as busy", async () => {
    const session = await createSession(db.sql, userId, "one at a time");
    await turn(session.id, "first");
    const refused = await turn(session.id, "second").catch((error) => error);
    expect(isSessionBusy(refused)).toBe(true);
    // Nothing of the refused turn was written.
    expect((await messagesAfter(db.sql, session.id, 0)).map((m) => m.content)).toEqual([
      "first",
      "",
    ]);
  });

  test("titles are the first words of the first message", () => {
    expect(titleFrom("  Help me   plan a marathon  ")).toBe("Help me plan a marathon");
    expect(titleFrom("one two three four five six seven eight nine ten")).toBe(
      "one two three four five six seven eight",
    );
    expect(titleFrom("x".repeat(100)).length).toBe(60);
  });
});
