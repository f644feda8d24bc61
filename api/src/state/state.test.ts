import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { finishAssistantMessage, insertTurn } from "@trainer2/db/queries/messages";
import { createSession } from "@trainer2/db/queries/sessions";
import { stateDto } from "@trainer2/shared/wire";
import { startAgentDouble } from "../testing/agent-double.ts";
import { badTokens } from "../testing/bad-tokens.ts";
import { startTestApi, type TestApi } from "../testing/index.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const getState = (token: string | null, query = "") =>
  fetch(`${api.url}/state${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

async function userIdOf(token: string): Promise<string> {
  const body = stateDto.parse(await (await getState(token)).json());
  return body.user.id;
}

describe("GET /state sign-in", () => {
  test("no token: 401 with a code and a plain message", async () => {
    const response = await getState(null);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: "unauthorized", message: expect.any(String) },
    });
  });

  test("every bad token: 401, and no user is created", async () => {
    const results = [];
    for (const { name, token, reason } of await badTokens(api)) {
      const response = await getState(token);
      const body = (await response.json()) as { error: { code: string; message: string } };
      results.push({
        name,
        status: response.status,
        code: body.error.code,
        why: body.error.message.includes(reason),
      });
      expect(body.error.message).not.toContain(token);
    }
    expect(results.filter((r) => r.status !== 401 || r.code !== "unauthorized" || !r.why)).toEqual(
      [],
    );
    expect((await api.sql`select 1 from users`).length).toBe(0);
  });

  test("the refusal says why, without secrets", async () => {
    const reasonOf = async (token: string) =>
      ((await (await getState(token)).json()) as { error: { message: string } }).error.message;
    expect(await reasonOf(await api.identity.mintIdToken({ expiresInSeconds: -120 }))).toContain(
      "expired",
    );
    expect(await reasonOf(await api.identity.mintIdToken({ audience: "other" }))).toContain("aud");
  });

  test("a valid token creates the user and an empty profile once; later tokens update details", async () => {
    const claims = { sub: "once", email: "once@example.com", name: "Once" };
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => api.identity.mintIdToken(claims)),
    );
    const responses = await Promise.all(tokens.map((token) => getState(token)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const users = await api.sql`select id, name from users where subject = 'once'`;
    expect(users.length).toBe(1);
    const profiles = await api.sql`select 1 from profiles where user_id = ${users[0]!.id}`;
    expect(profiles.length).toBe(1);

    const renamed = await api.identity.mintIdToken({ ...claims, name: "Renamed" });
    const body = stateDto.parse(await (await getState(renamed)).json());
    expect(body.user).toEqual({
      id: users[0]!.id,
      email: "once@example.com",
      name: "Renamed",
      picture: null,
    });
    expect((await api.sql`select 1 from users where subject = 'once'`).length).toBe(1);
  });
});

describe("GET /state content and ownership", () => {
  test("a new user: empty profile, no session", async () => {
    const token = await api.identity.mintIdToken({ sub: "fresh" });
    const body = stateDto.parse(await (await getState(token)).json());
    expect(body.session).toBeNull();
    expect(body.sessions).toEqual([]);
    expect(body.workouts).toEqual([]);
    expect(body.profile).toMatchObject({ displayName: null, equipment: [], units: "metric" });
  });

  test("the most recent session by default; the latest 200 messages oldest first", async () => {
    const token = await api.identity.mintIdToken({ sub: "talker" });
    const userId = await userIdOf(token);
    const older = await createSession(api.sql, userId, "older");
    const recent = await createSession(api.sql, userId, "recent");
    await api.sql`
      insert into messages (session_id, seq, role, content)
      select ${recent.id}, g, case when g % 2 = 1 then 'user' else 'assistant' end, 'm' || g
      from generate_series(1, 205) g`;
    await api.sql`update chat_sessions set last_seq = 205, updated_at = now() + interval '1 second'
      where id = ${recent.id}`;
    await api.sql`
      insert into workouts (user_id, performed_on, kind, duration_min, exercises)
      values (${userId}, '2026-11-01', 'run', 30,
              ${api.sql.json([{ name: "easy run", distanceKm: 5 }] as never)})`;

    const body = stateDto.parse(await (await getState(token)).json());
    expect(body.session?.id).toBe(recent.id);
    expect(body.session?.messages.length).toBe(200);
    expect(body.session?.messages[0]?.seq).toBe(6);
    expect(body.session?.messages.at(-1)?.seq).toBe(205);
    expect(body.sessions.map((s) => s.title)).toEqual(["recent", "older"]);
    expect(body.workouts).toEqual([
      expect.objectContaining({
        performedOn: "2026-11-01",
        kind: "run",
        durationMin: 30,
        exercises: [
          {
            name: "easy run",
            sets: null,
            reps: null,
            weightKg: null,
            distanceKm: 5,
            durationMin: null,
          },
        ],
      }),
    ]);

    const chosen = stateDto.parse(await (await getState(token, `?sessionId=${older.id}`)).json());
    expect(chosen.session).toEqual({ id: older.id, title: "older", messages: [] });
  });

  test("another user's session and a missing one: the same 404", async () => {
    const owner = await api.identity.mintIdToken({ sub: "owner" });
    const session = await createSession(api.sql, await userIdOf(owner), "mine");
    await api.sql.begin(async (tx) => {
      const turn = await insertTurn(tx, {
        sessionId: session.id,
        text: "secret",
        clientMsgId: "s",
        runId: crypto.randomUUID(),
      });
      if ("user" in turn)
        await finishAssistantMessage(tx, turn.assistant.id, { content: "ok", status: "complete" });
    });
    const other = await api.identity.mintIdToken({ sub: "other" });
    const theirs = await getState(other, `?sessionId=${session.id}`);
    const missing = await getState(other, `?sessionId=${crypto.randomUUID()}`);
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await theirs.json()).toEqual(await missing.json());
    const own = stateDto.parse(await (await getState(owner, `?sessionId=${session.id}`)).json());
    expect(own.session?.messages.map((m) => m.content)).toEqual(["secret", "ok"]);
  });

  test("assistant messages carry their own run's tool lines and why they ended", async () => {
    const token = await api.identity.mintIdToken({ sub: "tools" });
    const userId = await userIdOf(token);
    /** One stored turn in `sessionId` whose run showed `calls` as tool lines, ended as `end`. */
    async function storedTurn(
      sessionId: string,
      text: string,
      calls: [tool: string, status: "ok" | "error", message?: string][],
      end: Parameters<typeof finishAssistantMessage>[2],
    ) {
      const runId = crypto.randomUUID();
      const turn = await api.sql.begin((tx) =>
        insertTurn(tx, { sessionId, text, clientMsgId: text, runId }),
      );
      if (!("user" in turn)) throw new Error("duplicate turn");
      const tools = calls.map(([name, status, message]) => ({
        name,
        status,
        summary: message ?? `${name} done`,
      }));
      await finishAssistantMessage(api.sql, turn.assistant.id, { ...end, tools });
      return runId;
    }
    const plan = await createSession(api.sql, userId, "plan");
    const other = await createSession(api.sql, userId, "other");
    await storedTurn(
      plan.id,
      "set my goal",
      [
        ["update_profile", "ok"],
        ["log_workout", "error", "Invalid arguments: kind: Required"],
        ["get_profile", "error", "This run may not act on that session."],
      ],
      { content: "Done.", status: "complete" },
    );
    await storedTurn(plan.id, "and then?", [], {
      content: "Half an ans",
      status: "interrupted",
      errorCode: "model_timeout",
    });
    // A second run in another session: its call must not show up in the first one.
    await storedTurn(other.id, "my workouts?", [["list_workouts", "ok"]], {
      content: "",
      status: "failed",
      errorCode: "interrupted",
    });

    const body = stateDto.parse(await (await getState(token, `?sessionId=${plan.id}`)).json());
    const messages = body.session?.messages ?? [];
    expect(messages.map((m) => [m.role, m.tools, m.errorCode])).toEqual([
      ["user", undefined, null],
      [
        "assistant",
        [
          { name: "update_profile", status: "ok", summary: "update_profile done" },
          { name: "log_workout", status: "error", summary: "Invalid arguments: kind: Required" },
          {
            name: "get_profile",
            status: "error",
            summary: "This run may not act on that session.",
          },
        ],
        null,
      ],
      ["user", undefined, null],
      ["assistant", [], "model_timeout"],
    ]);
    const theirs = stateDto.parse(await (await getState(token, `?sessionId=${other.id}`)).json());
    expect(theirs.session?.messages.map((m) => [m.tools, m.errorCode, m.status])).toEqual([
      [undefined, null, "complete"],
      [
        [{ name: "list_workouts", status: "ok", summary: "list_workouts done" }],
        "interrupted",
        "failed",
      ],
    ]);
  });

  test("a malformed session id: 400 naming the field", async () => {
    const token = await api.identity.mintIdToken({ sub: "typo" });
    const response = await getState(token, "?sessionId=not-a-uuid");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "bad_request", message: expect.stringContaining("sessionId") },
    });
  });

  test("offlineModel comes from the agent's /health mode when it is reachable", async () => {
    const token = await api.identity.mintIdToken({ sub: "offline" });
    const before = stateDto.parse(await (await getState(token)).json());
    expect(before.offlineModel).toBeUndefined();
    const agent = await startAgentDouble({ apiPublicKey: api.keys.apiPublicKey, mode: "offline" });
    try {
      api.setAgentUrl(agent.url);
      const body = stateDto.parse(await (await getState(token)).json());
      expect(body.offlineModel).toBe(true);
    } finally {
      api.setAgentUrl("http://127.0.0.1:9");
      await agent.close();
    }
  });

  test("CORS allows the web origin only", async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/state`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
    const allowed = await preflight("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
    const other = await preflight("https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.com");
  });
});
