/**
 * What the model endpoint does wrong becomes a `failed` event a person can act on, and a
 * caller who hangs up stops the upstream request. The endpoint is a fake at the edge of the
 * world; the api (for the tool surface) and the agent are real.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import type { RunStreamEvent } from "@trainer2/shared/wire";
import { startTestAgent, type TestAgent, waitUntilReady } from "../testing/index.ts";
import { postRun, readEvents, runBody } from "../testing/run-helpers.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

type Behaviour =
  | "401"
  | "404"
  | "429"
  | "500"
  | "hang"
  | "stall"
  | "stream"
  | "garbage"
  | "unknown_tool"
  | "bad_arguments";

/** A model endpoint that misbehaves on demand and notes when a caller went away. */
function startFakeUpstream() {
  const state = { behaviour: "500" as Behaviour, requests: 0, aborted: 0, lastBody: "" };
  const encoder = new TextEncoder();
  const chunk = (content: string) =>
    encoder.encode(
      `data: ${JSON.stringify({
        id: "chatcmpl-fake",
        object: "chat.completion.chunk",
        created: 0,
        model: "fake",
        choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: null }],
      })}\n\n`,
    );
  const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  const chunkOf = (content: string | null, finish: string | null = null) => ({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 0,
    model: "fake",
    choices: [
      {
        index: 0,
        delta: content === null ? {} : { role: "assistant", content },
        finish_reason: finish,
      },
    ],
  });
  const error = (status: number, message: string, extra: Record<string, string> = {}) =>
    Response.json(
      { error: { message, type: "error", code: null, param: null } },
      { status, headers: extra },
    );
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      state.requests++;
      state.lastBody = await request.clone().text();
      request.signal.addEventListener("abort", () => state.aborted++, { once: true });
      switch (state.behaviour) {
        case "401":
          return error(401, "Incorrect API key provided");
        case "404":
          // What a server answers when OPENAI_BASE_URL lacks its /v1 (or names another app).
          return new Response("Not Found", { status: 404 });
        case "429":
          // A long Retry-After must not make the agent sit and wait.
          return error(429, "Rate limit reached", { "retry-after": "120" });
        case "500":
          return error(500, "The server had an error");
        case "garbage":
          // A 200 event stream that is not the API's JSON (a wrong endpoint or a broken proxy).
          return new Response("data: {not json\n\n", {
            headers: { "content-type": "text/event-stream" },
          });
        case "unknown_tool":
        case "bad_arguments": {
          // Chat Completions only: a tool call the agent did not offer, or arguments that are
          // not JSON; once a tool result came back, a short answer.
          const answered = state.lastBody.includes('"role":"tool"');
          const name = state.behaviour === "unknown_tool" ? "drop_all_tables" : "log_workout";
          const call = {
            index: 0,
            id: `call_${state.requests}`,
            type: "function",
            function: { name, arguments: "{not json" },
          };
          const events = answered
            ? [sse(chunkOf("Sorry, that did not work.")), sse(chunkOf(null, "stop"))]
            : [
                sse({
                  ...chunkOf(null, "tool_calls"),
                  choices: [
                    {
                      index: 0,
                      delta: { role: "assistant", tool_calls: [call] },
                      finish_reason: "tool_calls",
                    },
                  ],
                }),
              ];
          return new Response(`${events.join("")}data: [DONE]\n\n`, {
            headers: { "content-type": "text/event-stream" },
          });
        }
        case "hang":
          await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
          return new Response(null, { status: 499 });
        default: {
          const forever = state.behaviour === "stream";
          const stream = new ReadableStream<Uint8Array>({
            async pull(controller) {
              controller.enqueue(chunk("word "));
              // "stall": one word, then silence; "stream": a word every 50 ms without end.
              await Bun.sleep(forever ? 50 : 3_600_000);
            },
          });
          return new Response(stream, { headers: { "content-type": "text/event-stream" } });
        }
      }
    },
  });
  return { baseURL: `http://127.0.0.1:${server.port}/v1`, state, close: () => server.stop(true) };
}

let api: TestApi;
let upstream: ReturnType<typeof startFakeUpstream>;
const agents: Record<string, TestAgent> = {};

beforeAll(async () => {
  api = await startTestApi();
  upstream = startFakeUpstream();
  const endpoints = {
    chat_completions: upstream.baseURL,
    responses: upstream.baseURL,
    // Nothing listens on the discard port: a wrong OPENAI_BASE_URL.
    unreachable: "http://127.0.0.1:9/v1",
  };
  for (const [name, baseURL] of Object.entries(endpoints)) {
    agents[name] = await startTestAgent({
      apiUrl: api.url,
      apiPublicKey: api.keys.apiPublicKey,
      agentPrivateKey: api.keys.agentPrivateKey,
      model: {
        kind: "openai",
        apiKey: "sk-test-not-a-real-key",
        model: "gpt-test",
        baseURL,
        api: name === "responses" ? "responses" : "chat_completions",
      },
      modelTimeoutMs: 1500,
    });
    await waitUntilReady(agents[name]!);
  }
});

afterAll(async () => {
  for (const agent of Object.values(agents)) await agent.close();
  await upstream?.close();
  await api?.close();
});

/** One run; the fetch itself is bounded so a hang fails the test instead of stalling it. */
async function runOnce(agent: TestAgent): Promise<RunStreamEvent[]> {
  const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");
  const response = await postRun(agent.url, body, token, AbortSignal.timeout(20_000));
  expect(response.status).toBe(200);
  return readEvents(response);
}

describe.each(["chat_completions", "responses"] as const)("model errors (%s)", (mode) => {
  test.each([
    ["401", "model_auth", "OPENAI_API_KEY"],
    ["404", "model_bad_request", "OPENAI_BASE_URL"],
    ["429", "model_rate_limited", "try again"],
    ["500", "model_unavailable", "Try again"],
    ["hang", "model_timeout", "too long"],
    ["stall", "model_timeout", "too long"],
    ["garbage", "model_unavailable", "OPENAI_BASE_URL"],
  ] as const)("upstream %s ends in failed %s", async (behaviour, code, hint) => {
    upstream.state.behaviour = behaviour;
    const events = await runOnce(agents[mode]!);
    const last = events.at(-1);
    expect(last).toMatchObject({ type: "failed", code });
    expect(last?.type === "failed" && last.message).toContain(hint);
    expect(JSON.stringify(events)).not.toContain("sk-test");
  });
});

test("an unreachable base URL ends in failed model_unavailable", async () => {
  const events = await runOnce(agents.unreachable!);
  expect(events.at(-1)).toMatchObject({ type: "failed", code: "model_unavailable" });
});

test("a caller that hangs up aborts the upstream model request", async () => {
  upstream.state.behaviour = "stream";
  const abortedBefore = upstream.state.aborted;
  const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "tell me a long story");
  const caller = new AbortController();
  const response = await postRun(agents.chat_completions!.url, body, token, caller.signal);
  const reader = response.body!.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toContain('"type":"delta"');
  caller.abort();
  for (let tries = 0; upstream.state.aborted === abortedBefore && tries < 200; tries++)
    await Bun.sleep(25);
  expect(upstream.state.aborted).toBe(abortedBefore + 1);
});

test.each(["chat_completions", "responses"] as const)(
  "stored history with a reasoning item replays without it (%s)",
  async (mode) => {
    // A session stored before reasoning items were left out: sent on, they break every turn.
    upstream.state.behaviour = "500";
    const history = [
      { type: "message", role: "user", content: "hi" },
      { type: "reasoning", content: [{ type: "input_text", text: "Greet them back." }] },
      {
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Hello! How can I help?" }],
      },
    ];
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "thanks", history);
    const response = await postRun(agents[mode]!.url, body, token, AbortSignal.timeout(20_000));
    await readEvents(response);
    const sent = upstream.state.lastBody;
    // Booleans: a failure should not print the whole prompt.
    expect(sent.includes("Hello! How can I help?")).toBe(true);
    expect(sent.includes("Greet them back.")).toBe(false);
    expect(sent.includes('"type":"reasoning"')).toBe(false);
  },
);

test("the stored history is in front of every model call of a run, the one after a tool call too", async () => {
  upstream.state.behaviour = "bad_arguments";
  const history = [
    { type: "message", role: "user", content: "my name is Ada" },
    {
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "Nice to meet you, Ada." }],
    },
  ];
  const requestsBefore = upstream.state.requests;
  const { body, token } = await runBody(
    api.sql,
    api.keys.apiPrivateKey,
    "log a 30 minute run",
    history,
  );
  const events = await readEvents(await postRun(agents.chat_completions!.url, body, token));
  expect(events.at(-1)).toMatchObject({ type: "completed", output: "Sorry, that did not work." });
  // Two model calls: the tool call, then the answer after the tool's error; the last one was
  // sent the history, then this turn's question, call and result, in that order.
  expect(upstream.state.requests - requestsBefore).toBe(2);
  const sent = upstream.state.lastBody;
  const [said, question, result] = [
    sent.indexOf("Nice to meet you, Ada."),
    sent.indexOf("log a 30 minute run"),
    sent.indexOf('"role":"tool"'),
  ];
  expect({ saidFirst: said >= 0 && said < question, resultLast: question < result }).toEqual({
    saidFirst: true,
    resultLast: true,
  });
});

describe("a model that misuses the tools (chat_completions)", () => {
  test("a call to a tool the agent does not have ends the run in one failed, nothing written", async () => {
    upstream.state.behaviour = "unknown_tool";
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");
    const response = await postRun(agents.chat_completions!.url, body, token);
    const events = await readEvents(response);
    expect(events.filter((event) => ["completed", "failed"].includes(event.type))).toEqual([
      expect.objectContaining({ type: "failed", code: "agent_error" }),
    ]);
    expect(events.some((event) => event.type === "tool")).toBe(false);
    const calls = await api.sql`select 1 from tool_calls where run_id = ${body.runId}`;
    expect(calls.length).toBe(0);
  });

  test("arguments that are not JSON go back to the model as an error; the run completes", async () => {
    upstream.state.behaviour = "bad_arguments";
    const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");
    const events = await readEvents(await postRun(agents.chat_completions!.url, body, token));
    const terminal = events.filter((event) => ["completed", "failed"].includes(event.type));
    expect(terminal).toEqual([
      expect.objectContaining({ type: "completed", output: "Sorry, that did not work." }),
    ]);
    const workouts = await api.sql`select 1 from workouts where user_id = ${body.userId}`;
    expect(workouts.length).toBe(0);
  });
});
