/**
 * The floor: the thinnest relay that keeps trainer2's durability promise, for the bench to
 * measure the product against (never product code). On a chat frame it stores the user's
 * message while it calls the model, shows nothing until that write is done, relays each
 * delta as it comes, and stores the answer at the end. No auth, no agent, no tools: what is
 * left is one database write, one model call and the socket, on the same database and the
 * same stand-in model as the stack.
 *
 * With FLOOR_MODEL_CLIENT=agents-sdk the same relay calls the model through the Agents SDK
 * (a Runner, one Agent without tools, tracing off) instead of a bare fetch: the SDK's floor,
 * what any relay built on the SDK the product must use costs at least, in time and CPU.
 *
 * `bun bench/floor/relay.ts` with PORT, DATABASE_URL, MODEL_BASE_URL [, FLOOR_MODEL_CLIENT].
 */
import { Agent, OpenAIProvider, Runner } from "@openai/agents";
import { offlineModelName } from "@trainer2/agent/offline-model";
import { createSql } from "@trainer2/db";
import OpenAI from "openai";
import { readFloorEnv } from "../env.ts";
import { streamedContent } from "../lib/model-probe.ts";

const env = readFloorEnv();
const modelBaseUrl = env.MODEL_BASE_URL;
const sql = createSql(env.DATABASE_URL, { max: 10 });
await sql`create table if not exists floor_messages (
  id bigserial primary key, session_id text not null, role text not null, content text not null)`;

type Frame = { type: string; text?: string; clientMsgId?: string; sessionId?: string };

/** The model's streamed Chat Completion, as text deltas. */
async function* deltas(text: string): AsyncGenerator<string> {
  const response = await fetch(`${modelBaseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer floor" },
    body: JSON.stringify({
      model: offlineModelName,
      stream: true,
      messages: [{ role: "user", content: text }],
    }),
  });
  for await (const { content } of streamedContent(response.body!)) yield content;
}

/** The same deltas through the Agents SDK: its Runner streaming the Chat Completion. */
function sdkDeltas(): (text: string) => AsyncGenerator<string> {
  const openAIClient = new OpenAI({ apiKey: "floor", baseURL: modelBaseUrl, maxRetries: 0 });
  const runner = new Runner({
    modelProvider: new OpenAIProvider({ openAIClient, useResponses: false }),
    tracingDisabled: true,
  });
  const agent = new Agent({ name: "floor", instructions: "Answer.", model: offlineModelName });
  return async function* (text) {
    const result = await runner.run(agent, text, { stream: true });
    for await (const event of result)
      if (event.type === "raw_model_stream_event" && event.data.type === "output_text_delta")
        yield event.data.delta;
    await result.completed;
  };
}

const modelDeltas = env.FLOOR_MODEL_CLIENT === "agents-sdk" ? sdkDeltas() : deltas;

async function turn(ws: { send(data: string): void }, frame: Frame) {
  const sessionId = frame.sessionId ?? crypto.randomUUID();
  const runId = crypto.randomUUID();
  const stored = sql`insert into floor_messages (session_id, role, content)
    values (${sessionId}, 'user', ${frame.text ?? ""})`;
  const model = modelDeltas(frame.text ?? "");
  const first = model.next(); // the model call starts now, alongside the write
  await stored; // nothing is shown before the user's message is durable
  ws.send(
    JSON.stringify({
      type: "run.started",
      runId,
      sessionId,
      clientMsgId: frame.clientMsgId,
      seq: 0,
    }),
  );
  let answer = "";
  for (let next = await first; !next.done; next = await model.next()) {
    const offset = answer.length;
    answer += next.value;
    ws.send(JSON.stringify({ type: "delta", runId, sessionId, seq: 0, offset, text: next.value }));
  }
  await sql`insert into floor_messages (session_id, role, content)
    values (${sessionId}, 'assistant', ${answer})`;
  ws.send(JSON.stringify({ type: "run.completed", runId, sessionId, seq: 0 }));
}

const server = Bun.serve({
  port: env.PORT,
  hostname: "127.0.0.1",
  fetch(request, srv) {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    return srv.upgrade(request) ? undefined : new Response("upgrade", { status: 426 });
  },
  websocket: {
    open(ws) {
      ws.send(JSON.stringify({ type: "ready", sessionId: null }));
    },
    message(ws, data) {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === "chat") void turn(ws, frame);
    },
  },
});
console.log(JSON.stringify({ port: server.port }));
