import { describe, expect, test } from "bun:test";
import { EnvError } from "@trainer2/shared/config";
import { generatePemKeyPair } from "@trainer2/shared/keys";
import { modelConfigOf, parseAgentEnv } from "./env.ts";

const keys = await generatePemKeyPair();
const base = { AGENT_PRIVATE_KEY: keys.privateKey, API_PUBLIC_KEY: keys.publicKey };

describe("agent env", () => {
  test("defaults: port 9000, local api, offline model on chat completions, 60 s sync", () => {
    const env = parseAgentEnv(base);
    expect(env.PORT).toBe(9000);
    expect(env.API_URL).toBe("http://localhost:8000");
    expect(env.CAPABILITIES_SYNC_INTERVAL_S).toBe(60);
    expect(env.OPENAI_TRACING).toBe(false);
    // Prompts and answers stay off the GenAI spans unless the operator opts in.
    expect(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).toBe(false);
    expect(
      parseAgentEnv({ ...base, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" })
        .OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    ).toBe(true);
    expect(modelConfigOf(env)).toEqual({ kind: "offline", api: "chat_completions", delayMs: 30 });
  });

  test("a key needs a model; OpenAI's URL defaults to responses, others to chat completions", () => {
    expect(() => parseAgentEnv({ ...base, OPENAI_API_KEY: "sk-x" })).toThrow(/OPENAI_MODEL/);
    const openai = modelConfigOf(
      parseAgentEnv({ ...base, OPENAI_API_KEY: "sk-x", OPENAI_MODEL: "m" }),
    );
    expect(openai).toMatchObject({
      kind: "openai",
      api: "responses",
      baseURL: "https://api.openai.com/v1",
    });
    const other = parseAgentEnv({
      ...base,
      OPENAI_API_KEY: "sk-x",
      OPENAI_MODEL: "m",
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
    });
    expect(modelConfigOf(other)).toMatchObject({ api: "chat_completions" });
    const forced = parseAgentEnv({
      ...base,
      OPENAI_API_KEY: "k",
      OPENAI_MODEL: "m",
      OPENAI_API: "responses",
      OPENAI_BASE_URL: "http://x.test/v1",
    });
    expect(modelConfigOf(forced)).toMatchObject({ api: "responses" });
  });

  test("bad values name the variable and never echo a key", () => {
    try {
      parseAgentEnv({
        AGENT_PRIVATE_KEY: "secret-not-a-pem",
        API_PUBLIC_KEY: keys.publicKey,
        OPENAI_API: "soap",
        PORT: "x",
      });
      throw new Error("should have failed");
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      const message = (error as Error).message;
      expect(message).toContain("AGENT_PRIVATE_KEY");
      expect(message).toContain("OPENAI_API");
      expect(message).toContain("PORT");
      expect(message).not.toContain("secret-not-a-pem");
    }
  });
});
