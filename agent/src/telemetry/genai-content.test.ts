import { describe, expect, test } from "bun:test";
import {
  contentAttribute,
  inputMessages,
  maxContentChars,
  outputMessages,
  toolPayload,
} from "./genai-content.ts";

describe("conversation content in the conventions' message shape", () => {
  test("Chat Completions messages: text, tool calls and tool results", () => {
    expect(
      inputMessages([
        { role: "system", content: "Be kind." },
        { role: "user", content: [{ type: "text", text: "log a run" }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", function: { name: "log_workout", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: '{"result":{}}' },
      ]),
    ).toEqual([
      { role: "system", parts: [{ type: "text", content: "Be kind." }] },
      { role: "user", parts: [{ type: "text", content: "log a run" }] },
      {
        role: "assistant",
        parts: [{ type: "tool_call", id: "c1", name: "log_workout", arguments: "{}" }],
      },
      {
        role: "tool",
        parts: [{ type: "tool_call_response", id: "c1", response: '{"result":{}}' }],
      },
    ]);
    expect(
      outputMessages([
        { choices: [{ finish_reason: "stop", message: { role: "assistant", content: "Done." } }] },
      ]),
    ).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Done." }], finish_reason: "stop" },
    ]);
  });

  test("Responses items: input as text or items, output items as one assistant message", () => {
    expect(inputMessages("hello")).toEqual([
      { role: "user", parts: [{ type: "text", content: "hello" }] },
    ]);
    expect(
      inputMessages([
        { type: "message", role: "user", content: [{ type: "input_text", text: "log a run" }] },
        { type: "function_call", call_id: "c1", name: "log_workout", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
      ]),
    ).toEqual([
      { role: "user", parts: [{ type: "text", content: "log a run" }] },
      {
        role: "assistant",
        parts: [{ type: "tool_call", id: "c1", name: "log_workout", arguments: "{}" }],
      },
      { role: "tool", parts: [{ type: "tool_call_response", id: "c1", response: "ok" }] },
    ]);
    expect(
      outputMessages({
        output: [
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi" }] },
        ],
      }),
    ).toEqual([{ role: "assistant", parts: [{ type: "text", content: "Hi" }] }]);
  });

  test("attribute values are redacted, bounded, and absent when there is nothing", () => {
    const key = "sk-abcdefghijklmnopqrstuvwx";
    expect(contentAttribute([{ role: "user", parts: [{ type: "text", content: key }] }])).toBe(
      '[{"role":"user","parts":[{"type":"text","content":"[REDACTED_KEY]"}]}]',
    );
    const long = contentAttribute("x".repeat(maxContentChars * 2))!;
    expect(long.length).toBeLessThan(maxContentChars + 20);
    expect(long).toEndWith("…[truncated]");
    expect(contentAttribute([])).toBeUndefined();
    expect(toolPayload('{"a":1}')).toEqual({ a: 1 });
    expect(toolPayload("not json")).toBe("not json");
    expect(toolPayload("")).toBeUndefined();
  });
});
