/**
 * GenAI telemetry of real runs (real api, database, offline model over HTTP): prompt and
 * answer content only when the operator opts in, redacted as logs are; and the SDK's traces
 * never leave for OpenAI unless OPENAI_TRACING asks for it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { getGlobalTraceProvider, setTracingExportApiKey } from "@openai/agents";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { genAiAttributes, initTelemetry, spanNames } from "@trainer2/shared/telemetry";
import {
  attribute,
  type OtlpReceiver,
  startOtlpReceiver,
} from "@trainer2/shared/testing/otlp-receiver";
import { startTestAgent, type TestAgent, waitUntilReady } from "../testing/index.ts";
import { postRun, readEvents, runBody } from "../testing/run-helpers.ts";
import { installGenAiTracing } from "./install.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;
let agent: TestAgent;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = startOtlpReceiver();
  api = await startTestApi();
  agent = await startTestAgent({
    apiUrl: api.url,
    apiPublicKey: api.keys.apiPublicKey,
    agentPrivateKey: api.keys.agentPrivateKey,
    captureContent: true,
    telemetry: initTelemetry({
      serviceName: "agent-content",
      otlpEndpoint: receiver.url,
      logLevel: "silent",
    }),
  });
  await waitUntilReady(agent);
});

afterAll(async () => {
  await agent?.close();
  await api?.close();
  await agent?.telemetry.shutdown();
  receiver?.stop();
});

async function runTurn(text: string) {
  const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, text);
  const events = await readEvents(await postRun(agent.url, body, token));
  expect(events.at(-1)?.type).toBe("completed");
  return body;
}

describe("prompt and answer content on GenAI spans (opted in)", () => {
  test("the model and tool spans carry the conversation, with secrets redacted", async () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";
    const body = await runTurn(`Please log a 30 minute run (my token is ${jwt})`);
    await agent.telemetry.flush();
    const spans = receiver
      .spans("agent-content")
      .filter((s) => attribute(s, genAiAttributes.conversationId) === body.sessionId);
    const models = spans.filter((s) => s.name === spanNames.modelCall(agent.model.model));
    expect(models.length).toBe(2);
    const inputs = models.map((m) => String(attribute(m, genAiAttributes.inputMessages)));
    const outputs = models.map((m) => String(attribute(m, genAiAttributes.outputMessages)));
    expect(JSON.parse(inputs[0]!)).toContainEqual({
      role: "user",
      parts: [{ type: "text", content: "Please log a 30 minute run (my token is [REDACTED_JWT])" }],
    });
    expect(JSON.parse(outputs[0]!)[0].parts[0]).toMatchObject({
      type: "tool_call",
      name: "log_workout",
    });
    expect(outputs[1]).toContain("Logged your 30 min run");
    const [tool] = spans.filter((s) => s.name === spanNames.toolCall("log_workout"));
    expect(JSON.parse(String(attribute(tool!, genAiAttributes.toolCallArguments)))).toMatchObject({
      kind: "run",
      durationMin: 30,
    });
    expect(String(attribute(tool!, genAiAttributes.toolCallResult))).toContain('"workout"');
    expect(JSON.stringify(spans)).not.toContain(jwt);
  });
});

describe("the SDK's own trace upload", () => {
  test("nothing goes to OpenAI by default; OPENAI_TRACING brings the upload back", async () => {
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    // Only OpenAI's ingest endpoint is caught; everything else (api, model) is real.
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes("api.openai.com")) {
        sent.push(url);
        return new Response("{}", { status: 200 });
      }
      return realFetch(input, init);
    }) as typeof fetch;
    setTracingExportApiKey("sk-test-upload-would-use-this-key");
    try {
      await runTurn("log a 20 minute run");
      await getGlobalTraceProvider().forceFlush();
      expect(sent).toEqual([]);

      installGenAiTracing({ uploadToOpenAI: true });
      await runTurn("log a 25 minute run");
      await getGlobalTraceProvider().forceFlush();
      expect(sent.length).toBeGreaterThan(0);
      expect(sent[0]).toContain("/traces/ingest");
    } finally {
      installGenAiTracing({ uploadToOpenAI: false });
      setTracingExportApiKey(undefined as never);
      globalThis.fetch = realFetch;
    }
  });
});
