/**
 * One chat turn is one trace across both services: the real api and the real agent (offline
 * model over HTTP, real tools, real database) each export OTLP/HTTP JSON to a receiver this
 * test runs, and the spans must link up as
 *   api chat.turn → api "agent.run call" (client) → agent "POST /run" (server) → agent.run
 *     → "invoke_agent trainer" (the SDK's agent span, GenAI conventions)
 *       → model calls ("chat <model>", client) and "execute_tool log_workout" (internal)
 *         → agent "POST /tools/:name" (client) → api "POST /tools/:name" (server)
 *           → "tool log_workout" → its db span,
 * with log records of both services carrying that trace id. The GenAI spans come from the
 * SDK's own spans (agent/src/telemetry/genai-bridge.ts) and carry the conventions' attributes.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TestAgent } from "@trainer2/agent/testing";
import { genAiAttributes, initTelemetry, spanNames } from "@trainer2/shared/telemetry";
import {
  attribute,
  type OtlpSpan,
  otlpKind,
  startOtlpReceiver,
} from "@trainer2/shared/testing/otlp-receiver";
import { type ChatStack, openChat, startStack } from "@trainer2/testkit";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let receiver: ReturnType<typeof startOtlpReceiver>;
let stack: ChatStack;
/** The stack's agent speaks Chat Completions to the offline model; a second one, Responses. */
const agents = {} as Record<"chat_completions" | "responses", TestAgent>;
const stdout = { api: [] as string[], agent: [] as string[] };
const telemetry = {} as Record<"api" | "agent", ReturnType<typeof initTelemetry>>;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  for (const service of ["api", "agent"] as const)
    telemetry[service] = initTelemetry({
      serviceName: service,
      otlpEndpoint: receiver.url,
      logLevel: "info",
      exportDelayMs: 200,
      writeLog: (line) => stdout[service].push(line),
    });
  stack = await startStack({
    api: { telemetry: telemetry.api },
    agent: { telemetry: telemetry.agent },
  });
  agents.chat_completions = stack.agent;
  agents.responses = await stack.startAgent({
    apiUrl: stack.api.url,
    api: "responses",
    telemetry: telemetry.agent,
  });
}, 60_000);

afterAll(async () => {
  await agents.responses?.close();
  await stack?.close();
  await Promise.all(Object.values(telemetry).map((t) => t.shutdown()));
  receiver?.stop();
}, 60_000);

/** Flushes both services until `found` sees what it needs (the turn span ends after run.completed). */
async function exported<T>(found: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await Promise.all([telemetry.api.flush(), telemetry.agent.flush()]);
    const value = found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("the expected spans were not exported in time");
    await Bun.sleep(100);
  }
}

describe.each(["chat_completions", "responses"] as const)(
  "one chat turn, one trace (%s)",
  (mode) => {
    test("api and agent spans share a trace id with the agreed parent links; logs carry it", async () => {
      const agent = agents[mode];
      stack.api.setAgentUrl(agent.url);
      const chat = await openChat(stack.api);
      let events: Awaited<ReturnType<typeof chat.turn>>;
      try {
        events = await chat.turn("Please log a 30 minute run");
      } finally {
        chat.close();
      }
      expect(events.at(-1)?.type).toBe("run.completed");
      const started = events.find((e) => e.type === "run.started");
      if (started?.type !== "run.started") throw new Error("no run.started");
      const runId = started.runId;

      const apiSpans = () => receiver.spans("api");
      const agentSpans = () => receiver.spans("agent");
      const turn = await exported(() =>
        apiSpans().find(
          (s) =>
            s.name === spanNames.chatTurn && attribute(s, "chat.run_id") === runId && s.traceId,
        ),
      );
      const traceId = turn.traceId;
      expect(turn.parentSpanId ?? "").toBe(""); // a fresh root per turn
      expect(attribute(turn, "chat.outcome")).toBe("completed");

      const inTrace = (spans: OtlpSpan[]) => spans.filter((s) => s.traceId === traceId);
      const one = (spans: OtlpSpan[], name: string, parent: OtlpSpan, kind?: number) => {
        const matches = inTrace(spans).filter(
          (s) => s.name === name && s.parentSpanId === parent.spanId,
        );
        expect({ name, count: matches.length }).toEqual({ name, count: 1 });
        if (kind !== undefined) expect({ name, kind: matches[0]!.kind }).toEqual({ name, kind });
        return matches[0]!;
      };

      // The agent's tool call back to the api is the deepest link: wait until it is exported.
      await exported(() =>
        inTrace(apiSpans()).find((s) => s.name === spanNames.db("tool_calls.transaction")),
      );

      const call = one(apiSpans(), spanNames.agentRunCall, turn, otlpKind.client);
      const server = one(agentSpans(), "POST /run", call, otlpKind.server);
      expect(attribute(server, "http.route")).toBe("/run");
      const run = one(agentSpans(), spanNames.agentRun, server);
      expect(attribute(run, "chat.run_id")).toBe(runId);
      const sessionId = started.sessionId;

      // The run's agent: one invoke_agent span, the parent of every model and tool span.
      const invoke = one(agentSpans(), spanNames.invokeAgent("trainer"), run, otlpKind.internal);
      expect(attribute(invoke, genAiAttributes.operationName)).toBe("invoke_agent");
      expect(attribute(invoke, genAiAttributes.agentName)).toBe("trainer");
      expect(attribute(invoke, genAiAttributes.providerName)).toBe("openai");
      expect(attribute(invoke, genAiAttributes.conversationId)).toBe(sessionId);

      // Model calls: one that asks for the tool, one that answers with text after it.
      const modelName = agent.model.model;
      const models = inTrace(agentSpans()).filter((s) => s.name === spanNames.modelCall(modelName));
      expect(models.length).toBeGreaterThanOrEqual(2);
      for (const model of models) {
        expect(model.parentSpanId).toBe(invoke.spanId);
        expect(model.kind).toBe(otlpKind.client);
        expect(attribute(model, genAiAttributes.operationName)).toBe("chat");
        expect(attribute(model, genAiAttributes.providerName)).toBe("openai");
        expect(attribute(model, "gen_ai.system")).toBeUndefined(); // retired by the conventions
        expect(attribute(model, genAiAttributes.requestModel)).toBe(modelName);
        expect(attribute(model, genAiAttributes.responseModel)).toBe(modelName);
        expect(attribute(model, genAiAttributes.conversationId)).toBe(sessionId);
        expect(attribute(model, genAiAttributes.inputTokens)).toBeGreaterThan(0);
        expect(attribute(model, genAiAttributes.outputTokens)).toBeGreaterThan(0);
        expect(attribute(model, genAiAttributes.timeToFirstChunk)).toBeGreaterThanOrEqual(0);
        expect(attribute(model, genAiAttributes.serverAddress)).toBe("127.0.0.1");
        // Content is opt-in: off here.
        expect(attribute(model, genAiAttributes.inputMessages)).toBeUndefined();
        expect(attribute(model, genAiAttributes.outputMessages)).toBeUndefined();
      }
      const reasons = models.map((m) => attribute(m, genAiAttributes.finishReasons));
      expect(reasons).toContainEqual({ values: [{ stringValue: "tool_calls" }] });
      expect(reasons).toContainEqual({ values: [{ stringValue: "stop" }] });
      const total = (key: string) =>
        models.reduce((sum, m) => sum + Number(attribute(m, key) ?? 0), 0);
      expect(attribute(invoke, genAiAttributes.inputTokens)).toBe(
        total(genAiAttributes.inputTokens),
      );
      expect(attribute(invoke, genAiAttributes.outputTokens)).toBe(
        total(genAiAttributes.outputTokens),
      );

      // The tool call: execute_tool (internal) → its HTTP request → the api's handling of it.
      const tool = one(agentSpans(), spanNames.toolCall("log_workout"), invoke, otlpKind.internal);
      expect(attribute(tool, genAiAttributes.operationName)).toBe("execute_tool");
      expect(attribute(tool, genAiAttributes.toolName)).toBe("log_workout");
      const callId = attribute(tool, genAiAttributes.toolCallId);
      const [audit] = await stack.api.sql<{ tool_call_id: string }[]>`
        select tool_call_id from tool_calls where run_id = ${runId}`;
      expect(callId).toBe(audit?.tool_call_id);
      const request = one(agentSpans(), spanNames.toolRequest, tool, otlpKind.client);
      expect(attribute(request, genAiAttributes.toolCallId)).toBe(callId);
      const toolServer = one(apiSpans(), "POST /tools/:name", request, otlpKind.server);
      const handler = one(apiSpans(), spanNames.toolHandler("log_workout"), toolServer);
      expect(attribute(handler, "tool.outcome")).toBe("ok");
      expect(attribute(handler, genAiAttributes.toolCallId)).toBe(callId);
      const db = one(apiSpans(), spanNames.db("tool_calls.transaction"), handler);
      expect(attribute(db, "db.system.name")).toBe("postgresql");
      expect(receiver.services().sort()).toEqual(["agent", "api"]);

      // Log records of both services carry the trace (and a span of it), on OTLP and stdout.
      const spanIds = new Set(
        [...inTrace(apiSpans()), ...inTrace(agentSpans())].map((s) => s.spanId),
      );
      for (const service of ["api", "agent"] as const) {
        const records = await exported(() => {
          const found = receiver.logs(service).filter((l) => l.traceId === traceId);
          return found.length > 0 ? found : undefined;
        });
        for (const record of records) expect(spanIds.has(record.spanId ?? "")).toBe(true);
        const lines = stdout[service].map((l) => JSON.parse(l));
        expect(lines.some((l) => l.trace_id === traceId && spanIds.has(l.span_id))).toBe(true);
      }
      expect(receiver.logs("api").map((l) => l.body?.stringValue)).toContain("run ended");
      expect(receiver.logs("agent").map((l) => l.body?.stringValue)).toContain("run completed");

      // Tokens never reach a log: the person's id token, on stdout or over OTLP.
      const everything = JSON.stringify([
        stdout,
        receiver.logs("api"),
        receiver.logs("agent"),
        apiSpans(),
        agentSpans(),
      ]);
      expect(everything).not.toContain(chat.idToken);
      expect(everything).not.toContain(chat.idToken.split(".")[2]!);
    }, 60_000);
  },
);
