/**
 * Prompt and answer content for GenAI spans, only when the operator opts in
 * (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT): the SDK's span data (present only
 * when the Runner records sensitive data) in the conventions' message shape
 * (`[{role, parts: [{type: "text", content}, {type: "tool_call", …}]}]`), as a JSON string,
 * redacted as logs are (tokens, keys, PEMs) and cut to a bounded size.
 */
import { redact } from "@trainer2/shared/logger";

type Json = Record<string, unknown>;
type Part = Json & { type: string };
export type Message = { role: string; parts: Part[]; finish_reason?: string };

/** Larger content is cut: a span is not an archive of the conversation. */
export const maxContentChars = 16_384;

const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null;

function textParts(content: unknown): Part[] {
  if (typeof content === "string") return content ? [{ type: "text", content }] : [];
  if (!Array.isArray(content)) return [];
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : undefined))
    .filter((text): text is string => Boolean(text))
    .map((text) => ({ type: "text", content: text }));
}

/** One Chat Completions message (`role`, `content`, `tool_calls`, `tool_call_id`). */
function fromChatMessage(message: Json): Message {
  if (message.role === "tool")
    return {
      role: "tool",
      parts: [{ type: "tool_call_response", id: message.tool_call_id, response: message.content }],
    };
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isRecord) : [];
  const toolParts = calls.map((call) => {
    const fn = isRecord(call.function) ? call.function : {};
    return { type: "tool_call", id: call.id, name: fn.name, arguments: fn.arguments };
  });
  return { role: String(message.role), parts: [...textParts(message.content), ...toolParts] };
}

/** One Responses item (a message, a function call or its output). */
function fromResponsesItem(item: Json): Message | undefined {
  if (item.type === "function_call")
    return {
      role: "assistant",
      parts: [{ type: "tool_call", id: item.call_id, name: item.name, arguments: item.arguments }],
    };
  if (item.type === "function_call_output")
    return {
      role: "tool",
      parts: [{ type: "tool_call_response", id: item.call_id, response: item.output }],
    };
  if (typeof item.role === "string") return { role: item.role, parts: textParts(item.content) };
  return undefined;
}

/** A generation span's `input` (Chat Completions messages) or a response span's `_input`. */
export function inputMessages(input: unknown): Message[] {
  if (typeof input === "string") return [{ role: "user", parts: textParts(input) }];
  if (!Array.isArray(input)) return [];
  return input
    .filter(isRecord)
    .map((item) => ("type" in item ? fromResponsesItem(item) : fromChatMessage(item)))
    .filter((message): message is Message => message !== undefined);
}

/** A generation span's `output` ([chat completion]) or a response span's `_response`. */
export function outputMessages(output: unknown): Message[] {
  const completion = Array.isArray(output) ? output[0] : undefined;
  if (isRecord(completion) && Array.isArray(completion.choices))
    return completion.choices.filter(isRecord).map((choice) => ({
      ...fromChatMessage(isRecord(choice.message) ? choice.message : {}),
      ...(typeof choice.finish_reason === "string" ? { finish_reason: choice.finish_reason } : {}),
    }));
  if (isRecord(output) && Array.isArray(output.output)) {
    const messages = inputMessages(output.output);
    const parts = messages.flatMap((message) => message.parts);
    return parts.length > 0 ? [{ role: "assistant", parts }] : [];
  }
  return [];
}

/** A tool's arguments or result as the SDK recorded them (JSON text), parsed where it parses. */
export function toolPayload(text: unknown): unknown {
  if (typeof text !== "string" || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The attribute value: redacted like a log line, JSON, at most `maxContentChars`. */
export function contentAttribute(value: unknown): string | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  const text = JSON.stringify(redact(value));
  return text.length > maxContentChars ? `${text.slice(0, maxContentChars)}…[truncated]` : text;
}
