import { describe, expect, test } from "bun:test";
import { RunContext } from "@openai/agents";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { createLogger } from "@trainer2/shared/logger";
import { initTelemetry } from "@trainer2/shared/telemetry";
import { importPrivateKey, importPublicKey, verifyAgentJwt } from "@trainer2/shared/tokens";
import type { RunStreamEvent } from "@trainer2/shared/wire";
import { GenAiSpanBridge } from "../telemetry/genai-bridge.ts";
import { buildTools, cachedAgentJwt, type RunToolScope, type ToolDeps } from "./tools.ts";

const keys = await generatePemKeyPair();
const privateKey = await importPrivateKey(keys.privateKey);
const activity = { running: "Working on it…", done: "Did it", failed: "Could not do it" };
const context: ToolDeps = {
  apiUrl: "http://127.0.0.1:9",
  agentJwt: cachedAgentJwt(privateKey),
  logger: createLogger({ service: "agent", level: "silent" }),
  telemetry: initTelemetry({ serviceName: "agent", logLevel: "silent" }),
  genAi: new GenAiSpanBridge(),
};
const scopeFor = (runToken: string, emit: RunToolScope["emit"] = () => {}): RunToolScope => ({
  runToken,
  runId: crypto.randomUUID(),
  signal: new AbortController().signal,
  emit,
  onBusy: () => {},
});
const logWorkout = {
  name: "log_workout",
  description: "log",
  activity,
  parameters: { type: "object", properties: {}, required: [], additionalProperties: false },
};
const callOf = (callId: string) => ({
  toolCall: { type: "function_call" as const, callId, name: "log_workout", arguments: "{}" },
});

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
    const [only] = buildTools([logWorkout], context);
    const scope = scopeFor("token", (event) => events.push(event));
    const output = await only!.invoke(new RunContext(scope), "{}", callOf("call_1"));
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

  test("one tool serves concurrent runs: each call carries its own run's token and events", async () => {
    const seen: { runToken: string | null; jwt: string }[] = [];
    const api = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        seen.push({
          runToken: request.headers.get("x-run-token"),
          jwt: request.headers.get("authorization")?.slice("Bearer ".length) ?? "",
        });
        return Response.json({ result: { ok: true } });
      },
    });
    try {
      const [shared] = buildTools([logWorkout], { ...context, apiUrl: api.url.href });
      const eventsA: RunStreamEvent[] = [];
      const eventsB: RunStreamEvent[] = [];
      await Promise.all([
        shared!.invoke(
          new RunContext(scopeFor("run-a", (e) => eventsA.push(e))),
          "{}",
          callOf("a"),
        ),
        shared!.invoke(
          new RunContext(scopeFor("run-b", (e) => eventsB.push(e))),
          "{}",
          callOf("b"),
        ),
      ]);
      expect(seen.map((call) => call.runToken).sort()).toEqual(["run-a", "run-b"]);
      expect(eventsA.map((event) => (event as { callId?: string }).callId)).toEqual(["a", "a"]);
      expect(eventsB.map((event) => (event as { callId?: string }).callId)).toEqual(["b", "b"]);
      const publicKey = await importPublicKey(keys.publicKey);
      await verifyAgentJwt(seen[0]!.jwt, publicKey);
    } finally {
      api.stop(true);
    }
  });

  test("a tool invoked outside of a run refuses instead of acting for nobody", async () => {
    const [only] = buildTools([logWorkout], context);
    await expect(only!.invoke(new RunContext(), "{}", callOf("stray"))).rejects.toThrow(
      /outside of a run/,
    );
  });
});

describe("cached agent JWT", () => {
  test("reused inside its window, signed again before it expires", async () => {
    let now = 1_000_000;
    const jwt = cachedAgentJwt(privateKey, 60, 30, () => now);
    // The same pending signature, not merely an equal string (tokens signed in one second
    // are equal anyway).
    const first = jwt();
    now += 29_000;
    expect(jwt()).toBe(first);
    now += 1_000;
    const renewed = jwt();
    expect(renewed).not.toBe(first);
    const publicKey = await importPublicKey(keys.publicKey);
    await verifyAgentJwt(await renewed, publicKey);
  });
});
