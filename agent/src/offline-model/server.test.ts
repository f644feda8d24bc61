import { afterAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOfflineModel } from "./server.ts";

const model = startOfflineModel({ delayMs: 0 });
const client = new OpenAI({ apiKey: "offline", baseURL: model.baseURL, maxRetries: 0 });
afterAll(() => model.close());

const logWorkout = {
  name: "log_workout",
  description: "Record a workout.",
  parameters: {
    type: "object",
    additionalProperties: false,
    required: ["kind", "durationMin"],
    properties: { kind: { type: "string" }, durationMin: { type: ["integer", "null"] } },
  },
};

describe("offline model over the OpenAI client", () => {
  test("chat completions: whole and streamed text agree", async () => {
    const messages = [{ role: "user" as const, content: "hello there" }];
    const whole = await client.chat.completions.create({ model: "m", messages });
    const text = whole.choices[0]?.message.content ?? "";
    expect(text).toContain("offline dev model");
    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    let streamed = "";
    let chunks = 0;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      chunks++;
    }
    expect(streamed).toBe(text);
    expect(chunks).toBeGreaterThan(10);
  });

  test("chat completions: a streamed tool call with valid arguments", async () => {
    const stream = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "log a 45 min swim" }],
      tools: [{ type: "function", function: logWorkout }],
      stream: true,
    });
    let args = "";
    let name = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? "";
      args += call?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe("log_workout");
    expect(JSON.parse(args)).toEqual({ kind: "swim", durationMin: 45 });
    expect(finish).toBe("tool_calls");
  });

  test("responses: whole and streamed, text and tool call", async () => {
    const whole = await client.responses.create({ model: "m", input: "hello" });
    expect(whole.output_text).toContain("OPENAI_API_KEY");
    const stream = await client.responses.create({
      model: "m",
      input: [{ role: "user", content: "log a 30 minute run" }],
      tools: [{ type: "function", strict: true, ...logWorkout }],
      stream: true,
    });
    const types: string[] = [];
    let completed: { output: { type: string; name?: string; arguments?: string }[] } | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.completed") completed = event.response as never;
    }
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.function_call_arguments.delta");
    const call = completed?.output[0];
    expect(call?.name).toBe("log_workout");
    expect(JSON.parse(call?.arguments ?? "")).toEqual({ kind: "run", durationMin: 30 });
  });

  test("a bad body is a 400 in OpenAI's error shape", async () => {
    const response = await fetch(`${model.baseURL}/chat/completions`, {
      method: "POST",
      body: "not json",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "messages",
    );
  });
});
