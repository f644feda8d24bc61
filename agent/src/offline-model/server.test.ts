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

  test("usage in both APIs' shapes, streamed and whole, as OpenAI reports it", async () => {
    const before = { ...model.stats.reported };
    const input = [{ role: "user" as const, content: "hello there" }];
    const whole = await client.chat.completions.create({ model: "m", messages: input });
    const answered = whole.usage!.completion_tokens;
    expect([whole.usage!.prompt_tokens, answered > 0]).toEqual([2, true]);
    const streamed = await client.chat.completions.create({
      model: "m",
      messages: input,
      stream: true,
      stream_options: { include_usage: true },
    });
    let chatUsage: { prompt_tokens: number; completion_tokens: number } | undefined | null;
    for await (const chunk of streamed) chatUsage = chunk.usage ?? chatUsage;
    expect(chatUsage).toEqual(whole.usage!);
    const response = await client.responses.create({ model: "m", input, stream: true });
    let responsesUsage: { input_tokens: number; output_tokens: number } | undefined;
    for await (const event of response)
      if (event.type === "response.completed") responsesUsage = event.response.usage ?? undefined;
    expect(responsesUsage).toMatchObject({
      input_tokens: 2,
      output_tokens: answered,
    });
    // What it reported is what it tallies (the bill a test compares with).
    expect(model.stats.reported.inputTokens - before.inputTokens).toBe(6);
    expect(model.stats.reported.outputTokens - before.outputTokens).toBe(3 * answered);
  });

  test("an output cap cuts a text answer: length (Chat Completions), incomplete (Responses)", async () => {
    const input = [{ role: "user" as const, content: "tell me a long story" }];
    const chat = await client.chat.completions.create({
      model: "m",
      messages: input,
      max_tokens: 4,
    });
    expect(chat.choices[0]?.finish_reason).toBe("length");
    expect(chat.choices[0]?.message.content?.split(" ")).toHaveLength(4);
    expect(chat.usage?.completion_tokens).toBe(4);
    const capped = await client.responses.create({ model: "m", input, max_output_tokens: 4 });
    expect(capped.status).toBe("incomplete");
    expect(capped.incomplete_details?.reason).toBe("max_output_tokens");
    expect(capped.usage?.output_tokens).toBe(4);
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

describe("a held answer (holds.ts)", () => {
  test("stops after the armed number of words until released, then ends whole", async () => {
    const messages = [{ role: "user" as const, content: "tell me a long story" }];
    const whole = await client.chat.completions.create({ model: "m", messages });
    const story = whole.choices[0]?.message.content ?? "";
    model.holds.arm({ afterWords: 5 });
    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    const chunks = stream[Symbol.asyncIterator]();
    let seen = "";
    while (seen.split(/\s+/).filter(Boolean).length < 5) {
      const { value } = await chunks.next();
      seen += value?.choices[0]?.delta.content ?? "";
    }
    await model.holds.whenHeld();
    // Held: the next chunk waits for the release (raced against one that has happened).
    const next = chunks.next();
    const first = await Promise.race([next.then(() => "chunk"), Bun.sleep(50).then(() => "held")]);
    expect(first).toBe("held");
    expect(model.holds.release()).toBe(1);
    seen += (await next).value?.choices[0]?.delta.content ?? "";
    for (let step = await chunks.next(); !step.done; step = await chunks.next())
      seen += step.value.choices[0]?.delta.content ?? "";
    expect(seen).toBe(story);
  });

  test("a shorter answer passes an armed hold by; the long one after it is held", async () => {
    const greeting = [{ role: "user" as const, content: "hi" }];
    const whole = await client.chat.completions.create({ model: "m", messages: greeting });
    const greetingWords = (whole.choices[0]?.message.content ?? "").split(/\s+/).length;
    model.holds.arm({ afterWords: greetingWords + 1 });
    const short = await client.chat.completions.create({
      model: "m",
      messages: greeting,
      stream: true,
    });
    for await (const _ of short);
    const long = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "tell me a long story" }],
      stream: true,
    });
    const reading = (async () => {
      for await (const _ of long);
    })();
    await model.holds.whenHeld();
    expect(model.holds.release()).toBe(1);
    await reading;
    expect(model.holds.release()).toBe(0);
  });
});

test("a released answer ends at once, whatever the model's pace", async () => {
  // A word a second: unreleased, the story would take minutes; the test's 5 s is the proof.
  const slow = startOfflineModel({ delayMs: 1000 });
  const slowClient = new OpenAI({ apiKey: "offline", baseURL: slow.baseURL, maxRetries: 0 });
  try {
    slow.holds.arm({ afterWords: 1 });
    const stream = await slowClient.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "tell me a long story" }],
      stream: true,
    });
    const reading = (async () => {
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    })();
    await slow.holds.whenHeld();
    slow.holds.release();
    expect(await reading).toContain("Chapter 12.");
  } finally {
    await slow.close();
  }
});
