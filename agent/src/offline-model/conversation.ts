/**
 * The offline model's view of a request: both OpenAI APIs are reduced to one list of turns
 * and one list of offered tools, so the deterministic "brain" is written once.
 */

export type Turn =
  | { kind: "user"; text: string }
  | { kind: "assistant"; text: string }
  | { kind: "tool_call"; callId: string; name: string; arguments: string }
  | { kind: "tool_result"; callId: string; output: string };

export type OfferedTool = {
  name: string;
  parameters: Record<string, unknown>;
  description?: string;
};

const descriptionOf = (value: unknown) => (typeof value === "string" ? { description: value } : {});

export type Conversation = {
  turns: Turn[];
  tools: OfferedTool[];
  /** The system prompt (Chat Completions' system/developer messages, Responses' `instructions`). */
  instructions?: string;
};

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Text of a message `content`: a string, or an array of text-like parts. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .join("");
}

function schemaOf(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : { type: "object", properties: {} };
}

// ---------- Chat Completions ----------

export function fromChatCompletions(body: Json): Conversation {
  const turns: Turn[] = [];
  const instructions: string[] = [];
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    if (!isRecord(message)) continue;
    if (message.role === "system" || message.role === "developer")
      instructions.push(textOf(message.content));
    if (message.role === "user") turns.push({ kind: "user", text: textOf(message.content) });
    if (message.role === "assistant") {
      const text = textOf(message.content);
      if (text) turns.push({ kind: "assistant", text });
      const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
      for (const call of calls) {
        if (!isRecord(call) || !isRecord(call.function)) continue;
        turns.push({
          kind: "tool_call",
          callId: String(call.id ?? ""),
          name: String(call.function.name ?? ""),
          arguments: String(call.function.arguments ?? "{}"),
        });
      }
    }
    if (message.role === "tool")
      turns.push({
        kind: "tool_result",
        callId: String(message.tool_call_id ?? ""),
        output: textOf(message.content),
      });
  }
  const tools: OfferedTool[] = [];
  for (const entry of Array.isArray(body.tools) ? body.tools : []) {
    if (isRecord(entry) && entry.type === "function" && isRecord(entry.function))
      tools.push({
        name: String(entry.function.name),
        parameters: schemaOf(entry.function.parameters),
        ...descriptionOf(entry.function.description),
      });
  }
  return { turns, tools, instructions: instructions.join("\n\n") };
}

// ---------- Responses ----------

function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return textOf(output);
  if (isRecord(output) && typeof output.text === "string") return output.text;
  return JSON.stringify(output ?? "");
}

export function fromResponses(body: Json): Conversation {
  const turns: Turn[] = [];
  const input = typeof body.input === "string" ? [{ role: "user", content: body.input }] : [];
  const items = Array.isArray(body.input) ? body.input : input;
  for (const item of items) {
    if (!isRecord(item)) continue;
    if (item.type === "function_call")
      turns.push({
        kind: "tool_call",
        callId: String(item.call_id ?? ""),
        name: String(item.name ?? ""),
        arguments: String(item.arguments ?? "{}"),
      });
    else if (item.type === "function_call_output")
      turns.push({
        kind: "tool_result",
        callId: String(item.call_id ?? ""),
        output: outputText(item.output),
      });
    else if (item.role === "user") turns.push({ kind: "user", text: textOf(item.content) });
    else if (item.role === "assistant") {
      const text = textOf(item.content);
      if (text) turns.push({ kind: "assistant", text });
    }
  }
  const tools: OfferedTool[] = [];
  for (const entry of Array.isArray(body.tools) ? body.tools : []) {
    if (isRecord(entry) && entry.type === "function")
      tools.push({
        name: String(entry.name),
        parameters: schemaOf(entry.parameters),
        ...descriptionOf(entry.description),
      });
  }
  const instructions = typeof body.instructions === "string" ? body.instructions : "";
  return { turns, tools, instructions };
}
