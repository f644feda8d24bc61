/**
 * `POST /v1/chat/completions` of the offline model: the shapes OpenAI returns, streamed
 * (chunks, tool calls by index, optional usage chunk, `[DONE]`) or whole.
 */
import type { Decision } from "./brain.ts";
import { type Emit, words } from "./streaming.ts";

export type Usage = { input: number; output: number };

/** One answer of the offline model: what it decided, the usage it reports, whether it was cut. */
export type Said = {
  id: string;
  model: string;
  decision: Decision;
  usage: Usage;
  /** Cut at the request's output cap. */
  truncated: boolean;
};

type Json = Record<string, unknown>;

/** Why the answer ended, in Chat Completions' words. */
const finishReason = ({ decision, truncated }: Said) =>
  truncated ? "length" : decision.type === "text" ? "stop" : "tool_calls";

export function chatCompletion(said: Said) {
  const { id, model, decision, usage } = said;
  const message =
    decision.type === "text"
      ? { role: "assistant", content: decision.text, refusal: null }
      : {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: `call_${id}`,
              type: "function",
              function: { name: decision.name, arguments: JSON.stringify(decision.arguments) },
            },
          ],
        };
  return {
    id: `chatcmpl-${id}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReason(said),
      },
    ],
    usage: {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    },
  };
}

export async function streamChatCompletion(
  body: Json,
  said: Said,
  emit: Emit,
  pause: () => Promise<void>,
) {
  const { id, model, decision, usage } = said;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Json, finish: string | null = null) => ({
    id: `chatcmpl-${id}`,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  if (decision.type === "text") {
    await emit(undefined, chunk({ role: "assistant", content: "" }));
    for (const word of words(decision.text)) {
      await pause();
      await emit(undefined, chunk({ content: word }));
    }
    await emit(undefined, chunk({}, finishReason(said)));
  } else {
    const call = { index: 0, id: `call_${id}`, type: "function" };
    await emit(
      undefined,
      chunk({
        role: "assistant",
        content: null,
        tool_calls: [{ ...call, function: { name: decision.name, arguments: "" } }],
      }),
    );
    await pause();
    const args = JSON.stringify(decision.arguments);
    await emit(undefined, chunk({ tool_calls: [{ index: 0, function: { arguments: args } }] }));
    await emit(undefined, chunk({}, "tool_calls"));
  }
  const options = body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage)
    await emit(undefined, {
      ...chunk({}),
      choices: [],
      usage: {
        prompt_tokens: usage.input,
        completion_tokens: usage.output,
        total_tokens: usage.input + usage.output,
      },
    });
  await emit(undefined, "[DONE]");
}
