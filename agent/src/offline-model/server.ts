/**
 * The offline dev model: an OpenAI-compatible HTTP server (Chat Completions and Responses,
 * streamed or not, with tool calls) that answers deterministically. The agent talks to it
 * over real HTTP exactly as it would to OpenAI, so nothing in the agent knows it is fake.
 */
import { Hono } from "hono";
import { type Decision, decide } from "./brain.ts";
import { capAnswer, maxOutputTokensOf } from "./caps.ts";
import { chatCompletion, streamChatCompletion, type Usage } from "./chat-completions.ts";
import { type Conversation, fromChatCompletions, fromResponses } from "./conversation.ts";
import { createStreamHolds, type StreamHolds } from "./holds.ts";
import { response, streamResponse } from "./responses.ts";
import { type Pacing, sseResponse, words } from "./streaming.ts";

export const offlineModelName = "trainer2-offline";

export type OfflineModelOptions = {
  /** Pause between streamed words, in ms (0 for benchmarks). */
  delayMs?: number;
};

export type OfflineModelStats = {
  /** Model requests received, by API. */
  requests: { chatCompletions: number; responses: number };
  /** Streams whose client went away before the end. */
  aborted: number;
  /** Tokens it reported in its answers' usage, all requests together (what a bill would say). */
  reported: { inputTokens: number; outputTokens: number };
  /** The output cap of the latest request (max_output_tokens / max_tokens), if it had one. */
  lastMaxOutputTokens: number | undefined;
};

type Json = Record<string, unknown>;

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

function usageOf(conversation: Conversation, decision: Decision): Usage {
  const input = conversation.turns.reduce(
    (sum, turn) =>
      sum + countWords("text" in turn ? turn.text : "output" in turn ? turn.output : ""),
    0,
  );
  const output =
    decision.type === "text" ? countWords(decision.text) : countWords(JSON.stringify(decision));
  return { input, output };
}

/** A stable id per conversation state: tool call ids differ within a run, and repeat exactly. */
function idOf(conversation: Conversation): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(JSON.stringify(conversation.turns));
  return `offline${hasher.digest("hex").slice(0, 24)}`;
}

function badRequest(message: string) {
  return Response.json(
    { error: { message, type: "invalid_request_error", param: null, code: null } },
    { status: 400 },
  );
}

async function readJson(request: Request): Promise<Json | undefined> {
  try {
    const body = await request.json();
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Json)
      : undefined;
  } catch {
    return undefined;
  }
}

export function createOfflineModelApp(options: OfflineModelOptions = {}) {
  const delayMs = options.delayMs ?? 0;
  const stats: OfflineModelStats = {
    requests: { chatCompletions: 0, responses: 0 },
    aborted: 0,
    reported: { inputTokens: 0, outputTokens: 0 },
    lastMaxOutputTokens: undefined,
  };
  /** What the model answers this request, within its output cap, and the usage it reports. */
  const answer = (body: Json, conversation: Conversation) => {
    const cap = maxOutputTokensOf(body);
    stats.lastMaxOutputTokens = cap;
    const { decision, truncated } = capAnswer(decide(conversation), cap);
    const usage = usageOf(conversation, decision);
    stats.reported.inputTokens += usage.input;
    stats.reported.outputTokens += usage.output;
    return { decision, truncated, usage };
  };
  const hooks = { onAbort: () => stats.aborted++ };
  const holds = createStreamHolds();
  /** This answer's pacing: the delay, and a held stop if a test armed one for it. */
  const pacingOf = (decision: Decision): Pacing => {
    const afterWords =
      decision.type === "text" ? holds.take(words(decision.text).length) : undefined;
    return afterWords === undefined
      ? { delayMs }
      : { delayMs, hold: { afterWords, wait: holds.hold } };
  };
  const app = new Hono();

  app.get("/health", (c) => c.json({ status: "ok", model: offlineModelName }));
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: [{ id: offlineModelName, object: "model", created: 0, owned_by: "trainer2" }],
    }),
  );

  app.post("/v1/chat/completions", async (c) => {
    const body = await readJson(c.req.raw);
    if (!body || !Array.isArray(body.messages)) return badRequest("messages must be an array");
    stats.requests.chatCompletions++;
    const conversation = fromChatCompletions(body);
    const { decision, truncated, usage } = answer(body, conversation);
    const id = idOf(conversation);
    const model = typeof body.model === "string" ? body.model : offlineModelName;
    const said = { id, model, decision, usage, truncated };
    if (body.stream !== true) return c.json(chatCompletion(said));
    return sseResponse(
      c.req.raw.signal,
      hooks,
      (emit, pause) => streamChatCompletion(body, said, emit, pause),
      pacingOf(decision),
    );
  });

  app.post("/v1/responses", async (c) => {
    const body = await readJson(c.req.raw);
    if (!body || (typeof body.input !== "string" && !Array.isArray(body.input)))
      return badRequest("input must be a string or an array of items");
    stats.requests.responses++;
    const conversation = fromResponses(body);
    const { decision, truncated, usage } = answer(body, conversation);
    const id = idOf(conversation);
    const model = typeof body.model === "string" ? body.model : offlineModelName;
    const said = { id, model, decision, usage, truncated };
    if (body.stream !== true) return c.json(response(said));
    return sseResponse(
      c.req.raw.signal,
      hooks,
      (emit, pause) => streamResponse(said, emit, pause),
      pacingOf(decision),
    );
  });

  app.notFound(() =>
    Response.json(
      { error: { message: "not found", type: "invalid_request_error" } },
      { status: 404 },
    ),
  );
  return { app, stats, holds };
}

export type OfflineModel = {
  /** Base URL for an OpenAI client, ending in `/v1`. */
  baseURL: string;
  stats: OfflineModelStats;
  /** Tests hold a long answer mid-stream with these (holds.ts). */
  holds: StreamHolds;
  close: () => Promise<void>;
};

/** Starts the offline model on loopback (port 0 picks a free one). */
export function startOfflineModel(
  options: OfflineModelOptions & { port?: number; hostname?: string } = {},
): OfflineModel {
  const { app, stats, holds } = createOfflineModelApp(options);
  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    fetch: app.fetch,
    // Long answers stream slowly on purpose; Bun's 10 s idle cut would end them early.
    idleTimeout: 0,
  });
  return {
    baseURL: `http://${server.hostname}:${server.port}/v1`,
    stats,
    holds,
    close: async () => {
      await server.stop(true);
    },
  };
}
