import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listToolCallsOfRun } from "@trainer2/db/queries/tool-calls";
import { signAgentJwt, signRunToken } from "@trainer2/shared/tokens";
import { headers, toolResponse } from "@trainer2/shared/wire";
import { z } from "zod";
import { badAgentAuthorizations, createHarness, type Harness } from "../testing/tools-harness.ts";
import { defineTool } from "./define-tool.ts";
import { loadTools } from "./registry.ts";
import { maxArgumentsBytes } from "./tool-route.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const countWorkouts = async (userId: string) => {
  const [row] = await h.sql<{ n: number }[]>`
    select count(*)::int as n from workouts where user_id = ${userId}`;
  return row!.n;
};

const workoutArgs = {
  performedOn: "2026-01-05",
  kind: "run",
  durationMin: 30,
  exercises: [],
  notes: null,
};

describe("POST /tools/:name authentication", () => {
  test("refuses every bad agent token with 401 and records nothing", async () => {
    const user = await h.createUser();
    const { run, token } = await h.startRun(user);
    for (const [name, authorization] of await badAgentAuthorizations(h.keys)) {
      const response = await h.app.request("/tools/get_profile", {
        method: "POST",
        headers: {
          ...(authorization === undefined ? {} : { authorization }),
          [headers.runToken]: token,
          [headers.toolCallId]: `call_${name}`,
        },
        body: "{}",
      });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      const body = toolResponse.parse(await response.json());
      expect("error" in body).toBe(true);
      if ("error" in body) expect(body.error.code).toBe("unauthorized");
    }
    expect(await listToolCallsOfRun(h.sql, run.runId)).toEqual([]);
  });

  test("refuses a missing, foreign-signed, expired or agent-minted run token with 401", async () => {
    const user = await h.createUser();
    const run = { ...user, runId: crypto.randomUUID() };
    const cases: [string, string | undefined][] = [
      ["missing", undefined],
      ["signed by another key", await signRunToken(run, h.keys.stranger.privateKey)],
      ["signed by the agent's key", await signRunToken(run, h.keys.agent.privateKey)],
      ["expired", await signRunToken(run, h.keys.api.privateKey, -60)],
      ["an agent JWT instead", await signAgentJwt(h.keys.agent.privateKey)],
    ];
    for (const [name, runToken] of cases) {
      const response = await h.app.request("/tools/get_profile", {
        method: "POST",
        headers: {
          authorization: `Bearer ${await h.agentToken()}`,
          ...(runToken === undefined ? {} : { [headers.runToken]: runToken }),
          [headers.toolCallId]: "call_1",
        },
        body: "{}",
      });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
    }
    expect(await listToolCallsOfRun(h.sql, run.runId)).toEqual([]);
  });

  test("a call without a tool call id is a bad request", async () => {
    const user = await h.createUser();
    const { token } = await h.startRun(user);
    const response = await h.app.request("/tools/get_profile", {
      method: "POST",
      headers: { authorization: `Bearer ${await h.agentToken()}`, [headers.runToken]: token },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(toolResponse.parse(await response.json())).toMatchObject({
      error: { code: "bad_request" },
    });
  });
});

describe("POST /tools/:name acts only for the run's user and session", () => {
  test("a run token naming another user's session is refused (403) and recorded", async () => {
    const alice = await h.createUser();
    const bob = await h.createUser();
    // A token for Alice that points at Bob's session: the api must not act on it.
    const forged = await h.startRun({ userId: alice.userId, sessionId: bob.sessionId });
    const response = await forged.call("log_workout", workoutArgs, { callId: "steal" });
    expect(response.status).toBe(403);
    expect(toolResponse.parse(await response.json())).toMatchObject({
      error: { code: "forbidden" },
    });
    expect(await countWorkouts(alice.userId)).toBe(0);
    expect(await countWorkouts(bob.userId)).toBe(0);
    const [record] = await listToolCallsOfRun(h.sql, forged.run.runId);
    expect(record).toMatchObject({
      toolCallId: "steal",
      tool: "log_workout",
      status: "refused",
      errorCode: "forbidden",
      userId: alice.userId,
      sessionId: null,
    });
    expect(record!.durationMs).toBeNumber();
    expect(h.stateChanges.some((c) => c.sessionId === bob.sessionId)).toBe(false);
  });

  test("a run token of an unknown user is refused and recorded", async () => {
    const bob = await h.createUser();
    const ghost = await h.startRun({ userId: crypto.randomUUID(), sessionId: bob.sessionId });
    const response = await ghost.call("get_profile", {});
    expect(response.status).toBe(403);
    const [record] = await listToolCallsOfRun(h.sql, ghost.run.runId);
    expect(record).toMatchObject({ status: "refused", userId: null, sessionId: null });
  });

  test("a token whose run has ended acts no more: refused as run_ended, and recorded", async () => {
    const alice = await h.createUser();
    const run = await h.startRun(alice);
    expect((await run.call("get_profile", {}, { callId: "while-live" })).status).toBe(200);
    // The answer is stored: the run is over, though its token has not expired.
    await h.sql`update messages set status = 'complete' where run_id = ${run.run.runId}`;
    const late = await run.call("log_workout", workoutArgs, { callId: "after-the-end" });
    expect(late.status).toBe(403);
    expect(toolResponse.parse(await late.json())).toMatchObject({ error: { code: "run_ended" } });
    expect(await countWorkouts(alice.userId)).toBe(0);
    const records = await listToolCallsOfRun(h.sql, run.run.runId);
    expect(records.find((r) => r.toolCallId === "after-the-end")).toMatchObject({
      status: "refused",
      errorCode: "run_ended",
      userId: alice.userId,
    });
  });

  test("tools only ever see the run's own rows", async () => {
    const alice = await h.createUser();
    const bob = await h.createUser();
    const aliceRun = await h.startRun(alice);
    const bobRun = await h.startRun(bob);
    await aliceRun.call("log_workout", { ...workoutArgs, notes: "alice" });
    const response = await bobRun.call("list_workouts", { limit: null, from: null, to: null });
    expect(await response.json()).toEqual({ result: { workouts: [] } });
  });
});

describe("POST /tools/:name records every call", () => {
  test("an unknown tool is 404 and recorded", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const response = await call("drop_tables", { really: true }, { callId: "c404" });
    expect(response.status).toBe(404);
    expect(toolResponse.parse(await response.json())).toMatchObject({
      error: { code: "not_found" },
    });
    const [record] = await listToolCallsOfRun(h.sql, run.runId);
    expect(record).toMatchObject({
      tool: "drop_tables",
      status: "error",
      errorCode: "not_found",
      arguments: { really: true },
      sessionId: user.sessionId,
    });
  });

  test("a body that is not JSON is invalid_arguments and recorded", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const response = await call("log_workout", "{not json");
    expect(response.status).toBe(400);
    expect(toolResponse.parse(await response.json())).toMatchObject({
      error: { code: "invalid_arguments" },
    });
    const [record] = await listToolCallsOfRun(h.sql, run.runId);
    expect(record).toMatchObject({ status: "invalid", errorCode: "invalid_arguments" });
  });

  test("a NUL in the arguments is invalid_arguments naming the field, and recorded", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const response = await call("log_workout", { ...workoutArgs, kind: "run\u0000" });
    expect(response.status).toBe(400);
    expect(toolResponse.parse(await response.json())).toMatchObject({
      error: { code: "invalid_arguments", issues: [{ path: "kind", message: expect.any(String) }] },
    });
    const unknown = await call("get%00profile", {});
    expect(unknown.status).toBe(404);
    expect(
      (await listToolCallsOfRun(h.sql, run.runId)).map((r) => [r.tool, r.status, r.arguments]),
    ).toEqual([
      ["log_workout", "invalid", { ...workoutArgs, kind: "run\uFFFD" }],
      ["get\uFFFDprofile", "error", {}],
    ]);
    expect(await countWorkouts(user.userId)).toBe(0);
  });

  test("oversized arguments are refused as invalid and recorded", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const notes = "x".repeat(maxArgumentsBytes);
    const response = await call("log_workout", { ...workoutArgs, notes });
    expect(response.status).toBe(400);
    const [record] = await listToolCallsOfRun(h.sql, run.runId);
    expect(record).toMatchObject({ status: "invalid", arguments: null });
    expect(await countWorkouts(user.userId)).toBe(0);
  });

  test("ok calls store arguments, result and duration", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const response = await call("get_profile", {}, { callId: "c1" });
    const body = await response.json();
    const [record] = await listToolCallsOfRun(h.sql, run.runId);
    expect(record).toMatchObject({
      toolCallId: "c1",
      tool: "get_profile",
      status: "ok",
      errorCode: null,
      arguments: {},
      userId: user.userId,
      sessionId: user.sessionId,
    });
    expect(record!.result).toEqual((body as { result: unknown }).result);
    expect(record!.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe("POST /tools/:name is idempotent by tool call id", () => {
  test("a retry returns the stored result and writes nothing twice", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const changesBefore = h.stateChanges.length;
    const first = await call("log_workout", workoutArgs, { callId: "same" });
    const retry = await call("log_workout", workoutArgs, { callId: "same" });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("x-idempotent-replay")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    expect(await countWorkouts(user.userId)).toBe(1);
    expect(await listToolCallsOfRun(h.sql, run.runId)).toHaveLength(1);
    expect(h.stateChanges.length - changesBefore).toBe(1);
  });

  test("two concurrent identical calls run the tool once and agree", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const responses = await Promise.all([
      call("log_workout", workoutArgs, { callId: "twin" }),
      call("log_workout", workoutArgs, { callId: "twin" }),
      call("log_workout", workoutArgs, { callId: "twin" }),
    ]);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(await countWorkouts(user.userId)).toBe(1);
    expect(await listToolCallsOfRun(h.sql, run.runId)).toHaveLength(1);
  });

  test("a retried invalid call returns the same error; a new call id runs again", async () => {
    const user = await h.createUser();
    const { run, call } = await h.startRun(user);
    const bad = { ...workoutArgs, kind: "" };
    const first = await call("log_workout", bad, { callId: "bad" });
    const retry = await call("log_workout", bad, { callId: "bad" });
    expect(first.status).toBe(400);
    expect(retry.status).toBe(400);
    expect(await retry.json()).toEqual(await first.json());
    const fresh = await call("log_workout", workoutArgs, { callId: "good" });
    expect(fresh.status).toBe(200);
    expect((await listToolCallsOfRun(h.sql, run.runId)).map((r) => r.status)).toEqual([
      "invalid",
      "ok",
    ]);
  });

  test("the same call id for another tool is a conflict", async () => {
    const user = await h.createUser();
    const { call } = await h.startRun(user);
    await call("get_profile", {}, { callId: "x" });
    const response = await call(
      "list_workouts",
      { limit: null, from: null, to: null },
      {
        callId: "x",
      },
    );
    expect(response.status).toBe(409);
  });
});

describe("state notifications", () => {
  test("onStateChanged fires after update_profile commits, with the run's user and session", async () => {
    const user = await h.createUser();
    // Read from another connection inside the callback: the change must already be committed.
    const seenFromCallback: Promise<string | null>[] = [];
    const app = h.makeApp(undefined, (userId) => {
      seenFromCallback.push(
        h.sql<
          { goals: string | null }[]
        >`select goals from profiles where user_id = ${userId}`.then(
          (rows) => rows[0]?.goals ?? null,
        ),
      );
    });
    const { call } = await h.startRun(user, app);
    const before = h.stateChanges.length;
    const response = await call("update_profile", {
      displayName: null,
      goals: "run a marathon",
      experienceLevel: null,
      equipment: null,
      limitations: null,
      units: null,
    });
    expect(response.status).toBe(200);
    expect(h.stateChanges.slice(before)).toEqual([user]);
    expect(await Promise.all(seenFromCallback)).toEqual(["run a marathon"]);
  });

  test("read-only tools and failed calls do not notify", async () => {
    const user = await h.createUser();
    const { call } = await h.startRun(user);
    const before = h.stateChanges.length;
    await call("get_profile", {});
    await call("list_workouts", { limit: 5, from: null, to: null });
    await call("update_profile", { goals: 5 });
    expect(h.stateChanges.length).toBe(before);
  });
});

describe("a failing tool", () => {
  test("its writes are undone, the call is recorded as an error, the cause is not shown", async () => {
    const failing = defineTool({
      name: "log_then_fail",
      description: "Writes, then fails.",
      input: z.strictObject({}),
      activity: { running: "Logging…", done: "Logged", failed: "Could not log" },
      mutates: true,
      handler: async ({ tx, userId }) => {
        await tx`insert into workouts (user_id, performed_on, kind) values (${userId}, current_date, 'x')`;
        throw new Error("secret internal detail");
      },
    });
    const app = h.makeApp([...(await loadTools()), failing]);
    const user = await h.createUser();
    const { run, call } = await h.startRun(user, app);
    const before = h.stateChanges.length;
    const response = await call("log_then_fail", {});
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(toolResponse.parse(JSON.parse(text))).toMatchObject({
      error: { code: "internal" },
    });
    expect(await countWorkouts(user.userId)).toBe(0);
    const [record] = await listToolCallsOfRun(h.sql, run.runId);
    expect(record).toMatchObject({ status: "error", errorCode: "internal" });
    expect(h.stateChanges.length).toBe(before);
    expect(h.logged).toContain("tool failed");
  });
});
