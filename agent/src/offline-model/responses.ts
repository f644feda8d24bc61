/**
 * `POST /v1/responses` of the offline model: a Responses object, or its event stream
 * (created → output item → text or argument deltas → item done → completed).
 */
import type { Decision } from "./brain.ts";
import type { Said, Usage } from "./chat-completions.ts";
import { type Emit, words } from "./streaming.ts";

type Json = Record<string, unknown>;

function outputItem(id: string, decision: Decision): Json {
  if (decision.type === "text")
    return {
      id: `msg_${id}`,
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: decision.text, annotations: [] }],
    };
  return {
    id: `fc_${id}`,
    type: "function_call",
    status: "completed",
    call_id: `call_${id}`,
    name: decision.name,
    arguments: JSON.stringify(decision.arguments),
  };
}

/** A text answer cut at `max_output_tokens` ends `incomplete`, as OpenAI's does. */
const endStatus = (said: Said) => (said.truncated ? "incomplete" : "completed");

function responseObject(id: string, model: string, status: string, output: Json[], usage?: Usage) {
  return {
    id: `resp_${id}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output,
    parallel_tool_calls: false,
    tool_choice: "auto",
    tools: [],
    error: null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    usage: usage
      ? {
          input_tokens: usage.input,
          output_tokens: usage.output,
          total_tokens: usage.input + usage.output,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens_details: { reasoning_tokens: 0 },
        }
      : null,
  };
}

export function response(said: Said) {
  const { id, model, decision, usage } = said;
  return responseObject(id, model, endStatus(said), [outputItem(id, decision)], usage);
}

export async function streamResponse(said: Said, emit: Emit, pause: () => Promise<void>) {
  const { id, model, decision, usage } = said;
  let sequence = 0;
  const send = (type: string, data: Json) =>
    emit(type, { type, sequence_number: sequence++, ...data });
  await send("response.created", { response: responseObject(id, model, "in_progress", []) });
  await send("response.in_progress", { response: responseObject(id, model, "in_progress", []) });
  const done = outputItem(id, decision);
  const itemId = String(done.id);
  const at = { item_id: itemId, output_index: 0 };
  if (decision.type === "text") {
    const started = { ...done, status: "in_progress", content: [] };
    await send("response.output_item.added", { output_index: 0, item: started });
    const part = { type: "output_text", text: "", annotations: [] };
    await send("response.content_part.added", { ...at, content_index: 0, part });
    for (const word of words(decision.text)) {
      await pause();
      await send("response.output_text.delta", {
        ...at,
        content_index: 0,
        delta: word,
        logprobs: [],
      });
    }
    await send("response.output_text.done", {
      ...at,
      content_index: 0,
      text: decision.text,
      logprobs: [],
    });
    await send("response.content_part.done", {
      ...at,
      content_index: 0,
      part: { ...part, text: decision.text },
    });
  } else {
    const started = { ...done, status: "in_progress", arguments: "" };
    await send("response.output_item.added", { output_index: 0, item: started });
    await pause();
    const args = String(done.arguments);
    await send("response.function_call_arguments.delta", { ...at, delta: args });
    await send("response.function_call_arguments.done", { ...at, arguments: args });
  }
  await send("response.output_item.done", { output_index: 0, item: done });
  const status = endStatus(said);
  await send(`response.${status}`, {
    response: responseObject(id, model, status, [done], usage),
  });
}
