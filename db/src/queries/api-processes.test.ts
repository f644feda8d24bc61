import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  createTestDatabase,
  createTestUser,
  standInOwner,
  type TestDatabase,
} from "../testing/index.ts";
import {
  interruptOrphanedAnswers,
  listApiProcesses,
  registerApiProcess,
  removeApiProcess,
  touchApiProcess,
} from "./api-processes.ts";
import { checkpointAssistantMessage, insertTurn } from "./messages.ts";
import { createSession } from "./sessions.ts";

setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  userId = await createTestUser(db.sql);
});
afterAll(() => db.close());

const processId = () => crypto.randomUUID();

/** An answer being written by `ownerId` (null: no owner), with some text saved so far. */
async function streamingAnswer(
  ownerId: string | undefined,
  text: string,
  runId: string = crypto.randomUUID(),
) {
  const session = await createSession(db.sql, userId, text);
  const turn = await db.sql.begin((tx) =>
    insertTurn(tx, { sessionId: session.id, text, clientMsgId: runId, runId, ownerId }),
  );
  if (!("user" in turn)) throw new Error("duplicate");
  await checkpointAssistantMessage(db.sql, turn.assistant.id, {
    content: `${text} so far`,
    tools: [],
  });
  return { sessionId: session.id, runId, id: turn.assistant.id };
}

async function statusOf(id: string) {
  const [row] = await db.sql<{ status: string; content: string }[]>`
    select status, content from messages where id = ${id}`;
  return row;
}

describe("api processes", () => {
  test("a process is stale once its last sign of life is older than the limit", async () => {
    const [fresh, silent] = [processId(), processId()];
    for (const id of [fresh, silent]) await registerApiProcess(db.sql, { id, host: "h", pid: 1 });
    await db.sql`update api_processes set seen_at = now() - interval '10 seconds' where id = ${silent}`;
    expect(await touchApiProcess(db.sql, fresh)).toBe(true);
    const rows = await listApiProcesses(db.sql, 6000);
    expect(rows.find((row) => row.id === fresh)?.stale).toBe(false);
    expect(rows.find((row) => row.id === silent)?.stale).toBe(true);
    await removeApiProcess(db.sql, silent);
    expect(await touchApiProcess(db.sql, silent)).toBe(false);
    await removeApiProcess(db.sql, fresh);
  });

  test("only answers no live process writes are interrupted, keeping their text, once", async () => {
    const [live, gone, self, unknown] = [processId(), processId(), processId(), processId()];
    for (const id of [live, gone, self])
      await registerApiProcess(db.sql, { id, host: "h", pid: 1 });
    const ofLive = await streamingAnswer(live, "live");
    const ofGone = await streamingAnswer(gone, "gone");
    const ofNobody = await streamingAnswer(undefined, "nobody");
    const ofUnknown = await streamingAnswer(unknown, "unknown");
    const ownRunning = await streamingAnswer(self, "mine");
    const ownGivenUp = await streamingAnswer(self, "given up");

    const ended = await interruptOrphanedAnswers(db.sql, {
      gone: [gone],
      self,
      ownRuns: () => [ownRunning.runId],
    });
    expect(ended.map((answer) => answer.message.content).sort()).toEqual(
      ["gone so far", "given up so far", "nobody so far", "unknown so far"].sort(),
    );
    expect(ended.every((answer) => answer.userId === userId)).toBe(true);
    expect(ended.every((answer) => answer.message.errorCode === "interrupted")).toBe(true);
    for (const answer of [ofGone, ofNobody, ofUnknown, ownGivenUp])
      expect((await statusOf(answer.id))?.status).toBe("interrupted");
    for (const answer of [ofLive, ownRunning])
      expect((await statusOf(answer.id))?.status).toBe("streaming");
    const left = (await listApiProcesses(db.sql, 6000)).map((row) => row.id);
    expect(left).not.toContain(gone);
    expect(left).toContain(live);
    // A second sweep finds nothing more: each answer is ended by exactly one sweep.
    expect(
      await interruptOrphanedAnswers(db.sql, { gone: [], self, ownRuns: () => [ownRunning.runId] }),
    ).toEqual([]);
  });

  test("a run that starts while the sweep's statements wait is not taken for an orphan", async () => {
    const self = processId();
    await registerApiProcess(db.sql, { id: self, host: "h", pid: 1 });
    // The process's runs as its hub holds them: none when the sweep begins.
    const held = new Set<string>();
    let started: Awaited<ReturnType<typeof streamingAnswer>> | undefined;
    // The sweep's first statement waits (as in a busy pool's queue) while a turn is claimed
    // and stored: the hub holds the run from before its row exists.
    const busy = (async (...query: Parameters<typeof db.sql>) => {
      if (!started) {
        const runId = crypto.randomUUID();
        held.add(runId);
        started = await streamingAnswer(self, "started meanwhile", runId);
      }
      return db.sql(...query);
    }) as unknown as typeof db.sql;
    const ended = await interruptOrphanedAnswers(busy, {
      gone: [],
      self,
      ownRuns: () => [...held],
    });
    expect(ended).toEqual([]);
    expect((await statusOf(started!.id))?.status).toBe("streaming");
    // Once the hub lets go of it without a final write, it is an orphan like any other.
    held.clear();
    const later = await interruptOrphanedAnswers(db.sql, { gone: [], self, ownRuns: () => [] });
    expect(later.map((answer) => answer.message.content)).toEqual(["started meanwhile so far"]);
  });
});

describe("a test's stand-in owner (testing/index.ts)", () => {
  test("keeps a test's streaming answer through any api's sweep; with no owner it is ended", async () => {
    const owned = await streamingAnswer(await standInOwner(db.sql), "owned by a stand-in");
    const orphan = await streamingAnswer(undefined, "stored with no owner");
    await interruptOrphanedAnswers(db.sql, { gone: [], self: processId(), ownRuns: () => [] });
    expect((await statusOf(owned.id))?.status).toBe("streaming");
    expect((await statusOf(orphan.id))?.status).toBe("interrupted");
  });
});
