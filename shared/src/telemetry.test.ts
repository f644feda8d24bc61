import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Hono } from "hono";
import {
  extractContext,
  genAiAttributes,
  httpTracing,
  initTelemetry,
  injectTraceparent,
  ROOT_CONTEXT,
  SpanKind,
  setModelUsage,
} from "./telemetry.ts";
import {
  type OtlpAttribute,
  type OtlpReceiver,
  startOtlpReceiver,
} from "./testing/otlp-receiver.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

const attr = (item: { attributes?: OtlpAttribute[] }, key: string) =>
  item.attributes?.find((a) => a.key === key)?.value;

let receiver: OtlpReceiver;
beforeAll(() => {
  receiver = startOtlpReceiver();
});
afterAll(() => receiver.stop());

describe("telemetry export over OTLP/HTTP", () => {
  test("parent and child spans and a log inside them arrive with one trace id", async () => {
    const lines: string[] = [];
    const telemetry = initTelemetry({
      serviceName: "svc-one",
      otlpEndpoint: `${receiver.url}/`,
      writeLog: (l) => lines.push(l),
    });
    expect(telemetry.exporting).toBe(true);
    let parentIds = { traceId: "", spanId: "" };
    let childIds = { traceId: "", spanId: "" };
    await telemetry.withSpan("parent", { "app.kind": "test" }, async (parent) => {
      parentIds = parent.spanContext();
      await telemetry.withSpan(
        "chat test-model",
        { [genAiAttributes.providerName]: "openai" },
        async (child) => {
          childIds = child.spanContext();
          setModelUsage(child, {
            model: "test-model",
            inputTokens: 12,
            outputTokens: 7,
            timeToFirstChunkSeconds: 0.25,
          });
          telemetry.logger.info("model answered", { tool: "none" });
        },
        { kind: SpanKind.CLIENT },
      );
    });
    await telemetry.flush();

    const spans = receiver.spans("svc-one");
    const parent = spans.find((s) => s.name === "parent");
    const child = spans.find((s) => s.name === "chat test-model");
    expect(parent?.traceId).toBe(parentIds.traceId);
    expect(child?.traceId).toBe(parentIds.traceId);
    expect(child?.parentSpanId).toBe(parentIds.spanId);
    expect(child?.spanId).toBe(childIds.spanId);
    expect(child && attr(child, genAiAttributes.requestModel)).toEqual({
      stringValue: "test-model",
    });
    expect(child && attr(child, genAiAttributes.inputTokens)).toEqual({ intValue: 12 });
    expect(child && attr(child, genAiAttributes.outputTokens)).toEqual({ intValue: 7 });
    expect(child && attr(child, genAiAttributes.timeToFirstChunk)).toEqual({ doubleValue: 0.25 });
    expect(child && attr(child, genAiAttributes.providerName)).toEqual({ stringValue: "openai" });

    const log = receiver.logs("svc-one").find((l) => l.body?.stringValue === "model answered");
    expect(log?.traceId).toBe(parentIds.traceId);
    expect(log?.spanId).toBe(childIds.spanId);
    expect(log && attr(log, "tool")).toEqual({ stringValue: "none" });
    // The stdout line carries the same ids.
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      trace_id: parentIds.traceId,
      span_id: childIds.spanId,
    });
    await telemetry.shutdown();
  });

  test("two services in one process: traceparent carries the trace across, each keeps its name", async () => {
    const api = initTelemetry({
      serviceName: "svc-api",
      otlpEndpoint: receiver.url,
      logLevel: "silent",
    });
    const agent = initTelemetry({
      serviceName: "svc-agent",
      otlpEndpoint: receiver.url,
      logLevel: "silent",
    });
    const agentApp = new Hono();
    agentApp.use(httpTracing(agent));
    agentApp.post("/run/:id", async (c) => {
      await agent.withSpan("agent.run", {}, () => undefined);
      return c.json({ ok: true });
    });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: agentApp.fetch });
    let turnTrace = "";
    let callSpan = "";
    try {
      await api.withSpan(
        "chat.turn",
        {},
        async (turn) => {
          turnTrace = turn.spanContext().traceId;
          await api.withSpan(
            "agent.run call",
            {},
            async (call) => {
              callSpan = call.spanContext().spanId;
              const headers = injectTraceparent(
                new Headers({ "content-type": "application/json" }),
              );
              expect(headers.get("traceparent")).toBe(`00-${turnTrace}-${callSpan}-01`);
              const res = await fetch(`http://127.0.0.1:${server.port}/run/r-1`, {
                method: "POST",
                headers,
                body: "{}",
              });
              expect(res.status).toBe(200);
            },
            { kind: SpanKind.CLIENT },
          );
        },
        { parent: ROOT_CONTEXT },
      );
    } finally {
      server.stop(true);
    }
    await Promise.all([api.flush(), agent.flush()]);
    const serverSpan = receiver.spans("svc-agent").find((s) => s.name === "POST /run/:id");
    expect(serverSpan?.traceId).toBe(turnTrace);
    expect(serverSpan?.parentSpanId).toBe(callSpan);
    expect(serverSpan?.kind).toBe(2); // SERVER in OTLP's enum
    const run = receiver
      .spans("svc-agent")
      .find((s) => s.name === "agent.run" && s.traceId === turnTrace);
    expect(run?.parentSpanId).toBe(serverSpan?.spanId);
    expect(
      receiver.spans("svc-api").some((s) => s.name === "chat.turn" && s.traceId === turnTrace),
    ).toBe(true);
    // Each handle is its own instance of its service, on this host and process.
    const resourceOf = (service: string) => receiver.resources(service)[0]!;
    const instance = (service: string) => attr(resourceOf(service), "service.instance.id");
    expect(instance("svc-api")?.stringValue).toMatch(/^[0-9a-f-]{36}$/);
    expect(instance("svc-agent")?.stringValue).toMatch(/^[0-9a-f-]{36}$/);
    expect(instance("svc-api")).not.toEqual(instance("svc-agent"));
    expect(attr(resourceOf("svc-api"), "process.pid")).toEqual({ intValue: process.pid });
    expect(attr(resourceOf("svc-api"), "host.name")?.stringValue).toBeString();
    await Promise.all([api.shutdown(), agent.shutdown()]);
  });

  test("a failing span is exported with error status and a redacted message, and rethrows", async () => {
    const telemetry = initTelemetry({
      serviceName: "svc-err",
      otlpEndpoint: receiver.url,
      logLevel: "silent",
    });
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";
    await expect(
      telemetry.withSpan("fails", {}, () => {
        throw new Error(`bad token ${jwt}`);
      }),
    ).rejects.toThrow("bad token");
    await telemetry.flush();
    const span = receiver.spans("svc-err").find((s) => s.name === "fails");
    expect(span?.status?.code).toBe(2);
    expect(JSON.stringify(span)).not.toContain(jwt);
    await telemetry.shutdown();
  });
});

describe("telemetry with an unreachable endpoint", () => {
  test("flush and shutdown report failure instead of throwing; the service keeps running", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const lines: string[] = [];
    const telemetry = initTelemetry({
      serviceName: "svc-down",
      otlpEndpoint: `http://127.0.0.1:${port}`,
      exportTimeoutMs: 500,
      writeLog: (l) => lines.push(l),
    });
    await telemetry.withSpan("work", {}, () => telemetry.logger.info("still working"));
    expect(await telemetry.flush()).toBe(false);
    expect(lines.map((l) => JSON.parse(l).message)).toContain(
      "telemetry flush could not reach the OTLP endpoint",
    );
    expect(typeof (await telemetry.shutdown())).toBe("boolean");
  });
});

describe("telemetry without an endpoint", () => {
  test("spans still get ids and propagate; nothing is exported and nothing throws", async () => {
    const lines: string[] = [];
    const telemetry = initTelemetry({ serviceName: "quiet", writeLog: (l) => lines.push(l) });
    expect(telemetry.exporting).toBe(false);
    const incoming = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    const traceId = await telemetry.withSpan(
      "handler",
      {},
      (span) => {
        telemetry.logger.info("hello");
        return span.spanContext().traceId;
      },
      { parent: extractContext(incoming, ROOT_CONTEXT) },
    );
    expect(traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(JSON.parse(lines[0] ?? "{}").trace_id).toBe(traceId);
    await telemetry.flush();
    await telemetry.shutdown();
  });

  test("extractContext reads plain records case-insensitively and ignores garbage", async () => {
    const telemetry = initTelemetry({ serviceName: "quiet2", logLevel: "silent" });
    const upper = { Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    const ids = await telemetry.withSpan("a", {}, (s) => s.spanContext(), {
      parent: extractContext(upper, ROOT_CONTEXT),
    });
    expect(ids.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    const fresh = await telemetry.withSpan("b", {}, (s) => s.spanContext(), {
      parent: extractContext({ traceparent: "not-a-traceparent" }, ROOT_CONTEXT),
    });
    expect(fresh.traceId).not.toBe("0af7651916cd43dd8448eb211c80319c");
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    await telemetry.shutdown();
  });
});
