import { describe, expect, test } from "bun:test";
import { createLogger, REDACTED, redact } from "./logger.ts";
import { initTelemetry } from "./telemetry.ts";

function capture() {
  const lines: string[] = [];
  return {
    lines,
    write: (line: string) => lines.push(line),
    parsed: () => lines.map((l) => JSON.parse(l)),
  };
}

// Realistic-looking secrets (never real ones): each must vanish from every log line.
const jwt =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJpc3MiOiJ0cmFpbmVyMiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
const detachedJws = "eyJhbGciOiJSUzI1NiIsImI2NCI6ZmFsc2V9..c2lnbmF0dXJlLWRldGFjaGVk";
const pem =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";
const openAiKey = "sk-proj-abcdefghijklmnopqrstuvwxyz123456";
const secrets = [
  jwt,
  detachedJws,
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
  openAiKey,
];
const opaque = ["opaque-run-token-value", "plain-secret-value", "cookie-value-123", "dev-secret"];

describe("logger", () => {
  test("writes one JSON object per line with time, level, service, message and fields", () => {
    const out = capture();
    const log = createLogger({ service: "api", level: "info", write: out.write });
    log.debug("hidden below info");
    log.info("turn started", { runId: "r1", count: 2 });
    log.child({ sessionId: "s1" }).warn("slow", { ms: 900 });
    const [first, second] = out.parsed();
    expect(first).toMatchObject({
      level: "info",
      service: "api",
      message: "turn started",
      runId: "r1",
      count: 2,
    });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(second).toMatchObject({ level: "warn", sessionId: "s1", ms: 900 });
    log.info("envelope wins", { level: "error", message: "other" });
    expect(out.parsed()[2]).toMatchObject({
      level: "info",
      message: "envelope wins",
      _level: "error",
      _message: "other",
    });
    expect(first.trace_id).toBeUndefined();
  });

  test("silent writes nothing; error always passes at lower thresholds", () => {
    const out = capture();
    createLogger({ service: "x", level: "silent", write: out.write }).error("nope");
    createLogger({ service: "x", level: "debug", write: out.write }).error("yes");
    expect(out.parsed().map((l) => l.message)).toEqual(["yes"]);
  });

  test("inside a span each line carries that span's trace_id and span_id", async () => {
    const out = capture();
    const telemetry = initTelemetry({ serviceName: "api", writeLog: out.write });
    let ids = { traceId: "", spanId: "" };
    await telemetry.withSpan("work", {}, (span) => {
      ids = span.spanContext();
      telemetry.logger.info("inside");
    });
    telemetry.logger.info("outside");
    const [inside, outside] = out.parsed();
    expect(inside.trace_id).toBe(ids.traceId);
    expect(inside.span_id).toBe(ids.spanId);
    expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(outside.trace_id).toBeUndefined();
    await telemetry.shutdown();
  });

  test("tokens, keys, authorization, *_KEY, JWT- and PEM-looking strings never appear", () => {
    const out = capture();
    const log = createLogger({ service: "agent", level: "debug", write: out.write });
    const cause = new Error(`upstream said Bearer ${jwt}`);
    log.error(`verify failed for ${jwt} at /realtime?token=${jwt}&x=1`, {
      authorization: `Bearer ${jwt}`,
      token: "opaque-run-token-value",
      headers: { "x-run-token": "opaque-run-token-value", Cookie: "cookie-value-123" },
      AGENT_PRIVATE_KEY: pem,
      OPENAI_API_KEY: openAiKey,
      NEXTAUTH_SECRET: "dev-secret",
      password: "plain-secret-value",
      note: `a key ${openAiKey} and a pem ${pem} and a jws ${detachedJws}`,
      url: `ws://localhost:8000/realtime?token=${jwt}`,
      list: [{ apiKey: "plain-secret-value" }, `Basic ${btoa("user:pw")}`],
      err: new Error("outer", { cause }),
      input_tokens: 42,
      tokens: { input: 3, output: 5 },
      tool: "log_workout",
    });
    const text = out.lines.join("\n");
    for (const secret of [...secrets, ...opaque, btoa("user:pw")])
      expect(text).not.toContain(secret);
    const [line] = out.parsed();
    expect(line.authorization).toBe(REDACTED);
    expect(line.headers["x-run-token"]).toBe(REDACTED);
    expect(line.AGENT_PRIVATE_KEY).toBe(REDACTED);
    expect(line.message).toContain("[REDACTED_JWT]");
    expect(line.note).toContain("[REDACTED_PEM]");
    expect(line.err.message).toBe("outer");
    expect(line.err.cause.message).toMatch(/^upstream said Bearer \[REDACTED/);
    // Not secrets: counts and names stay readable.
    expect(line.input_tokens).toBe(42);
    expect(line.tokens).toEqual({ input: 3, output: 5 });
    expect(line.tool).toBe("log_workout");
  });

  test("redact copes with cycles, Headers and odd values without throwing", () => {
    const loop: Record<string, unknown> = { name: "a" };
    loop.self = loop;
    const headers = new Headers({ authorization: `Bearer ${jwt}`, "content-type": "text/plain" });
    expect(redact({ loop, headers, big: 10n, fn: () => 1, when: new Date(0) })).toEqual({
      loop: { name: "a", self: "[Circular]" },
      headers: { authorization: REDACTED, "content-type": "text/plain" },
      big: "10",
      fn: undefined,
      when: "1970-01-01T00:00:00.000Z",
    });
  });
});
