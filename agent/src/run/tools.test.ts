import { describe, expect, test } from "bun:test";
import { RunContext } from "@openai/agents";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { createLogger } from "@trainer2/shared/logger";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey } from "@trainer2/shared/tokens";
import type { RunStreamEvent } from "@trainer2/shared/wire";
import { GenAiSpanBridge } from "../telemetry/genai-bridge.ts";
import { buildTools } from "./tools.ts";

const keys = await generatePemKeyPair();
const activity = { running: "Working on it…", done: "Did it", failed: "Could not do it" };
const context = {
  apiUrl: "http://127.0.0.1:9",
  agentPrivateKey: await importPrivateKey(keys.privateKey),
  runToken: "token",
  runId: crypto.randomUUID(),
  signal: new AbortController().signal,
  emit: () => {},
  onBusy: () => {},
  logger: createLogger({ service: "agent", level: "silent" }),
  telemetry: initTelemetry({ serviceName: "agent", logLevel: "silent" }),
  genAi: new GenAiSpanBridge(),
};

describe("SDK tools from synced specs", () => {
  test("strict when the schema allows it, non-strict otherwise", () => {
    const [closed, open] = buildTools(
      [
        {
          name: "closed",
          description: "closed object",
          activity,
          parameters: {
            type: "object",
            properties: { n: { type: ["integer", "null"] } },
            required: ["n"],
            additionalProperties: false,
          },
        },
        {
          name: "open",
          description: "a union strict mode cannot express",
          activity,
          parameters: {
            type: "object",
            properties: { value: { oneOf: [{ type: "string" }, { type: "integer" }] } },
          },
        },
      ],
      context,
    );
    expect(closed).toMatchObject({ name: "closed", strict: true });
    expect(open).toMatchObject({ name: "open", strict: false });
  });

  test("a schema strict mode would have to rewrite is sent as published, non-strict", () => {
    // Strict mode would make `note` required-but-nullable (the api's `.optional()` refuses
    // null) and keep a map (OpenAI refuses strict schemas whose objects are open).
    const optional = {
      type: "object",
      properties: { kind: { type: "string" }, note: { type: "string" } },
      required: ["kind"],
      additionalProperties: false,
    };
    const map = {
      type: "object",
      properties: {
        tags: { type: "object", additionalProperties: { type: "string" } },
      },
      required: ["tags"],
      additionalProperties: false,
    };
    const nestedOptional = {
      type: "object",
      properties: {
        sets: {
          type: "array",
          items: {
            type: "object",
            properties: { reps: { type: "integer" }, kg: { type: "number" } },
            required: ["reps"],
            additionalProperties: false,
          },
        },
      },
      required: ["sets"],
      additionalProperties: false,
    };
    const tools = buildTools(
      [
        { name: "optional", description: "", activity, parameters: optional },
        { name: "map", description: "", activity, parameters: map },
        { name: "nested", description: "", activity, parameters: nestedOptional },
      ],
      context,
    );
    expect(tools.map((tool) => tool.strict)).toEqual([false, false, false]);
    expect(tools.map((tool) => tool.parameters)).toEqual([optional, map, nestedOptional] as never);
  });

  test("an unreachable api becomes a model-visible tool error, not a crash", async () => {
    const events: RunStreamEvent[] = [];
    const [only] = buildTools(
      [
        {
          name: "log_workout",
          description: "log",
          activity,
          parameters: { type: "object", properties: {}, required: [], additionalProperties: false },
        },
      ],
      { ...context, emit: (event) => events.push(event) },
    );
    const output = await only!.invoke(new RunContext(), "{}", {
      toolCall: { type: "function_call", callId: "call_1", name: "log_workout", arguments: "{}" },
    });
    expect(JSON.parse(String(output))).toMatchObject({
      error: { code: "tool_unavailable" },
    });
    expect(events).toEqual([
      {
        type: "tool",
        name: "log_workout",
        status: "started",
        summary: activity.running,
        callId: "call_1",
      },
      expect.objectContaining({ type: "tool", status: "error", callId: "call_1" }),
    ]);
  });
});
