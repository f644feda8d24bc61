import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestDatabase, createTestUser, type TestDatabase } from "../testing/index.ts";
import { claimToolCall, findToolCall, finishToolCall, listToolCallsOfRun } from "./tool-calls.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let db: TestDatabase;
let userId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  userId = await createTestUser(db.sql);
});
afterAll(() => db.close());

describe("tool call audit", () => {
  test("a (run, call id) pair is claimed once; the outcome is stored", async () => {
    const runId = crypto.randomUUID();
    const call = {
      toolCallId: "call_1",
      runId,
      userId,
      sessionId: null,
      tool: "get_profile",
      arguments: { a: 1 },
    };
    const id = await claimToolCall(db.sql, call);
    expect(id).toBeString();
    expect(await claimToolCall(db.sql, call)).toBeNull();
    await finishToolCall(db.sql, id!, {
      status: "ok",
      result: { profile: { units: "metric" } },
      errorCode: null,
      durationMs: 3.6,
    });
    const stored = await findToolCall(db.sql, runId, "call_1");
    expect(stored).toMatchObject({
      status: "ok",
      result: { profile: { units: "metric" } },
      durationMs: 4,
      userId,
      sessionId: null,
      arguments: { a: 1 },
    });
    expect(await listToolCallsOfRun(db.sql, runId)).toHaveLength(1);
  });

  test("an unknown user or session is not referenced, but the call is still recorded", async () => {
    const runId = crypto.randomUUID();
    const id = await claimToolCall(db.sql, {
      toolCallId: "x",
      runId,
      userId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
      tool: "nope",
      arguments: undefined,
    });
    expect(id).toBeString();
    const stored = await findToolCall(db.sql, runId, "x");
    expect(stored).toMatchObject({ userId: null, sessionId: null, status: "error" });
  });

  test("a NUL in the name, arguments or result is replaced, and the call is recorded", async () => {
    const runId = crypto.randomUUID();
    const id = await claimToolCall(db.sql, {
      toolCallId: "n",
      runId,
      userId,
      sessionId: null,
      tool: "get\u0000profile",
      arguments: { "k\u0000": ["v\u0000"] },
    });
    expect(id).toBeString();
    await finishToolCall(db.sql, id!, {
      status: "error",
      result: { code: "not_found", message: "no \u0000" },
      errorCode: "not_found",
      durationMs: 1,
    });
    expect(await findToolCall(db.sql, runId, "n")).toMatchObject({
      tool: "get\uFFFDprofile",
      arguments: { "k\uFFFD": ["v\uFFFD"] },
      result: { code: "not_found", message: "no \uFFFD" },
    });
  });
});
