import { describe, expect, test } from "bun:test";
import { stripProviderIds } from "./items.ts";

// The shape of `result.history` after a Responses reasoning model called a tool and answered.
const history = [
  { type: "message", role: "user", content: "log a 30 minute run" },
  {
    type: "reasoning",
    id: "rs_abc",
    content: [{ type: "input_text", text: "They want a run logged." }],
    providerData: { encryptedContent: "gAAAA…" },
  },
  {
    type: "function_call",
    id: "fc_abc",
    callId: "call_1",
    name: "log_workout",
    arguments: '{"kind":"run","durationMin":30}',
    status: "completed",
    providerData: { id: "fc_abc" },
  },
  {
    type: "function_call_result",
    callId: "call_1",
    name: "log_workout",
    status: "completed",
    output: { type: "text", text: '{"ok":true}' },
  },
  {
    type: "message",
    id: "msg_abc",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "Logged.", providerData: { annotations: [] } }],
  },
];

describe("history items for storage", () => {
  test("no provider ids or provider data; call ids stay so calls and results still pair", () => {
    const stored = stripProviderIds(history);
    expect(JSON.stringify(stored)).not.toMatch(/"id"|providerData|rs_abc|fc_abc|msg_abc/);
    expect(stored.find((item) => item.type === "function_call")).toMatchObject({
      callId: "call_1",
      arguments: '{"kind":"run","durationMin":30}',
    });
  });

  test("reasoning items are left out: without their ids they cannot be replayed", () => {
    const stored = stripProviderIds(history);
    expect(stored.map((item) => item.type)).toEqual([
      "message",
      "function_call",
      "function_call_result",
      "message",
    ]);
  });
});
