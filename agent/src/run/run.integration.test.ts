/**
 * /run against the real api and database, with the offline model over real HTTP, in both of
 * the SDK's OpenAI APIs.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { errorBody } from "@trainer2/shared/errors";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { importPrivateKey, signRunToken } from "@trainer2/shared/tokens";
import type { TestAgent } from "../testing/index.ts";
import {
  type OpenAiApi,
  postRun,
  readEvents,
  runBody,
  startAgentPerApi,
} from "../testing/run-helpers.ts";
import { isStrictReady } from "./strict-schema.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;
let agents: Record<OpenAiApi, TestAgent>;

beforeAll(async () => {
  api = await startTestApi();
  agents = await startAgentPerApi(api);
});

afterAll(async () => {
  for (const agent of Object.values(agents ?? {})) await agent.close();
  await api?.close();
});

describe.each(["chat_completions", "responses"] as const)("/run with %s", (mode) => {
  test("a workout request goes through the real tool and lands in the database", async () => {
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");
    const response = await postRun(agents[mode]!.url, body, token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const events = await readEvents(response);
    const tools = events.filter((event) => event.type === "tool");
    expect(tools.map((event) => [event.name, event.status])).toEqual([
      ["log_workout", "started"],
      ["log_workout", "ok"],
    ]);
    const deltas = events.filter((event) => event.type === "delta");
    expect(deltas.length).toBeGreaterThan(3);
    const completed = events.at(-1);
    if (completed?.type !== "completed") throw new Error(`ended with ${completed?.type}`);
    expect(completed.output).toBe(deltas.map((event) => event.text).join(""));
    expect(completed.output).toContain("30 min");
    expect(completed.usage?.outputTokens).toBeGreaterThan(0);

    const rows = await api.sql`
      select kind, duration_min from workouts where user_id = ${body.userId}`;
    expect([...rows]).toEqual([{ kind: "run", duration_min: 30 }]);
    const audit = await api.sql`
      select tool, status from tool_calls where run_id = ${body.runId}`;
    expect([...audit]).toEqual([{ tool: "log_workout", status: "ok" }]);

    // The items replay: user input, call, result, answer; no provider ids anywhere.
    expect(completed.items.map((item) => item.type ?? item.role)).toEqual([
      "user",
      "function_call",
      "function_call_result",
      "message",
    ]);
    expect(JSON.stringify(completed.items)).not.toMatch(/"id"|providerData/);
  });

  test("history from an earlier turn is accepted and a goal updates the profile", async () => {
    const first = await runBody(api.sql, api.keys.apiPrivateKey, "hello");
    const earlier = await readEvents(await postRun(agents[mode]!.url, first.body, first.token));
    const items =
      earlier.at(-1)?.type === "completed"
        ? (earlier.at(-1) as never as { items: Record<string, unknown>[] }).items
        : [];
    expect(items.length).toBe(2);
    const { body, token } = await runBody(
      api.sql,
      api.keys.apiPrivateKey,
      "My goal is to run a half marathon",
      items,
    );
    const events = await readEvents(await postRun(agents[mode]!.url, body, token));
    expect(events.at(-1)?.type).toBe("completed");
    const [profile] = await api.sql`select goals from profiles where user_id = ${body.userId}`;
    expect(profile).toEqual({ goals: "to run a half marathon" });
  });

  test("usage: after each model call the run's so far, at the end exactly what the model reported", async () => {
    const stats = agents[mode]!.model.offlineStats!;
    const before = { ...stats.reported };
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 45 min swim");
    const events = await readEvents(await postRun(agents[mode]!.url, body, token));
    const reported = {
      inputTokens: stats.reported.inputTokens - before.inputTokens,
      outputTokens: stats.reported.outputTokens - before.outputTokens,
    };
    // Two model calls (the tool call, then the answer): two running totals, growing.
    const running = events.flatMap((event) => (event.type === "usage" ? [event.usage] : []));
    expect(running.length).toBe(2);
    expect(running[0]!.inputTokens).toBeGreaterThan(0);
    expect(running[1]!.inputTokens).toBeGreaterThan(running[0]!.inputTokens);
    // The first total came before the tool ran: a run stopped after it still counts it.
    const firstUsage = events.findIndex((event) => event.type === "usage");
    expect(firstUsage).toBeLessThan(events.findIndex((event) => event.type === "tool"));
    const completed = events.at(-1);
    if (completed?.type !== "completed") throw new Error(`ended with ${completed?.type}`);
    expect(completed.usage).toEqual({ ...reported, model: "trainer2-offline" });
    expect(running[1]).toEqual(completed.usage!);
  });

  test("the api's cap on an answer reaches the model, which stops there", async () => {
    const stats = agents[mode]!.model.offlineStats!;
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "tell me a long story");
    const events = await readEvents(
      await postRun(agents[mode]!.url, { ...body, maxOutputTokens: 5 }, token),
    );
    expect(stats.lastMaxOutputTokens).toBe(5);
    const text = events.flatMap((event) => (event.type === "delta" ? [event.text] : [])).join("");
    const words = text.trim().split(/\s+/);
    // Responses: when the SDK raises `incomplete`, deltas it still held are dropped once the
    // run has yielded to I/O (execute.ts, ioBreaks): the person may get fewer than the 5 words.
    if (mode === "chat_completions") expect(words).toHaveLength(5);
    else expect(words.length).toBeLessThanOrEqual(5);
    const end = events.at(-1);
    // Chat Completions says `length` and the answer completes; Responses ends `incomplete`,
    // which the SDK raises: the run fails with the code that says why, its usage still counted.
    if (mode === "chat_completions") expect(end).toMatchObject({ type: "completed", output: text });
    else
      expect(end).toMatchObject({
        type: "failed",
        code: "model_output_limit",
        usage: { outputTokens: 5 },
      });
  });
});

test("every tool the real api publishes is sent to the model in strict mode", () => {
  const tools = agents.chat_completions.sync.surface?.tools ?? [];
  expect(tools.length).toBeGreaterThan(0);
  expect(tools.filter((tool) => !isStrictReady(tool.parameters)).map((tool) => tool.name)).toEqual(
    [],
  );
});

describe("/run refuses callers without the api's token", () => {
  test("no token, a token from another key, a token for another run", async () => {
    const agentUrl = agents.chat_completions!.url;
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");

    const none = await postRun(agentUrl, body, undefined);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });

    const stranger = await generatePemKeyPair();
    const forged = await signRunToken(
      { userId: body.userId, sessionId: body.sessionId, runId: body.runId },
      await importPrivateKey(stranger.privateKey),
    );
    expect((await postRun(agentUrl, body, forged)).status).toBe(401);

    const otherRun = { ...body, runId: crypto.randomUUID() };
    const mismatch = await postRun(agentUrl, otherRun, token);
    expect(mismatch.status).toBe(403);

    const badBody = await postRun(agentUrl, { ...body, input: "" }, token);
    expect(badBody.status).toBe(400);
    expect(errorBody.parse(await badBody.json()).error.message).toContain("input");

    const workouts = await api.sql`select 1 from workouts where user_id = ${body.userId}`;
    expect(workouts.length).toBe(0);
  });

  test("a token starts one run: the same token again is refused as run_ended", async () => {
    const agentUrl = agents.chat_completions!.url;
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "hello");
    const first = await postRun(agentUrl, body, token);
    expect(first.status).toBe(200);
    expect((await readEvents(first)).at(-1)?.type).toBe("completed");
    const replay = await postRun(agentUrl, body, token);
    expect(replay.status).toBe(403);
    expect(errorBody.parse(await replay.json()).error.code).toBe("run_ended");
  });

  test("the token is checked before the body: a stranger's bad body learns nothing about it", async () => {
    const agentUrl = agents.chat_completions!.url;
    const { body } = await runBody(api.sql, api.keys.apiPrivateKey, "hello");
    for (const strange of [{ ...body, input: "" }, { nonsense: true }]) {
      const response = await postRun(agentUrl, strange, undefined);
      expect(response.status).toBe(401);
      const answer = errorBody.parse(await response.json()).error;
      expect(answer.code).toBe("unauthorized");
      expect(answer.message).not.toMatch(/input|runId|history/);
    }
    const notJson = await fetch(`${agentUrl}/run`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-a-token" },
      body: "{",
    });
    expect(notJson.status).toBe(401);
  });
});
