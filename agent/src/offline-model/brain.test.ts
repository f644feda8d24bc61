import { describe, expect, test } from "bun:test";
import { build } from "./arguments.ts";
import { decide, offlineNotice, samplePlan } from "./brain.ts";
import type { OfferedTool, Turn } from "./conversation.ts";

// Shapes as the api publishes them: strict, every property required, optional ones nullable.
const updateProfile: OfferedTool = {
  name: "update_profile",
  parameters: {
    type: "object",
    additionalProperties: false,
    required: ["displayName", "goals", "experienceLevel", "equipment", "units"],
    properties: {
      displayName: { type: ["string", "null"] },
      goals: { type: ["string", "null"] },
      experienceLevel: {
        anyOf: [
          { type: "string", enum: ["beginner", "intermediate", "advanced"] },
          { type: "null" },
        ],
      },
      equipment: { anyOf: [{ type: "array", items: { type: "string" } }, { type: "null" }] },
      units: { type: ["string", "null"], enum: ["metric", "imperial", null] },
    },
  },
};
const logWorkout: OfferedTool = {
  name: "log_workout",
  parameters: {
    type: "object",
    additionalProperties: false,
    required: ["performedOn", "kind", "durationMin", "exercises", "notes"],
    properties: {
      performedOn: { type: ["string", "null"] },
      kind: { type: "string" },
      durationMin: { type: ["integer", "null"] },
      exercises: { type: "array", items: { type: "object" } },
      notes: { type: ["string", "null"] },
    },
  },
};
const summary: OfferedTool = {
  name: "get_training_summary",
  parameters: {
    type: "object",
    properties: { weeks: { type: ["integer", "null"] } },
    required: ["weeks"],
  },
};
const tools = [updateProfile, logWorkout, summary];
const user = (text: string): Turn => ({ kind: "user", text });

describe("offline model decisions", () => {
  test("a goal becomes update_profile with every other field null", () => {
    expect(decide({ turns: [user("Hi! My goal is to run a 10k. Thanks")], tools })).toEqual({
      type: "tool_call",
      name: "update_profile",
      arguments: {
        displayName: null,
        goals: "to run a 10k",
        experienceLevel: null,
        equipment: null,
        units: null,
      },
    });
  });

  test("an experience level matches the enum", () => {
    const decision = decide({ turns: [user("I'm an Intermediate lifter")], tools });
    expect(decision).toMatchObject({ name: "update_profile" });
    expect((decision as { arguments: Record<string, unknown> }).arguments.experienceLevel).toBe(
      "intermediate",
    );
  });

  test("a workout to log fills kind and minutes, required rest as null or empty", () => {
    expect(decide({ turns: [user("please log a 30 minute run")], tools })).toEqual({
      type: "tool_call",
      name: "log_workout",
      arguments: { performedOn: null, kind: "run", durationMin: 30, exercises: [], notes: null },
    });
  });

  test("the weekly question prefers the summary tool, else the workout list", () => {
    expect(decide({ turns: [user("what did I do this week?")], tools })).toMatchObject({
      name: "get_training_summary",
      arguments: { weeks: 1 },
    });
    const list: OfferedTool = {
      name: "list_workouts",
      parameters: {
        type: "object",
        properties: { limit: { type: ["integer", "null"] }, tag: { type: "string" } },
        required: ["limit"],
      },
    };
    expect(decide({ turns: [user("what did I do this week?")], tools: [list] })).toEqual({
      type: "tool_call",
      name: "list_workouts",
      arguments: { limit: 20 },
    });
  });

  test("a tool that is not offered is never called", () => {
    const decision = decide({ turns: [user("log a 30 minute run")], tools: [summary] });
    expect(decision.type).toBe("text");
  });

  test("after the tool result it answers from it, also for errors", () => {
    const call: Turn = {
      kind: "tool_call",
      callId: "c1",
      name: "get_training_summary",
      arguments: '{"weeks":1}',
    };
    const ok = JSON.stringify({ result: { totals: { workouts: 2, minutes: 75 } } });
    expect(
      decide({
        turns: [
          user("what did I do this week"),
          call,
          { kind: "tool_result", callId: "c1", output: ok },
        ],
        tools,
      }),
    ).toEqual({
      type: "text",
      text: "This week you did 2 workout(s), 75 minutes in total. Keep going!",
    });
    const failed = JSON.stringify({ error: { code: "internal", message: "no luck" } });
    const answer = decide({
      turns: [
        user("what did I do this week"),
        call,
        { kind: "tool_result", callId: "c1", output: failed },
      ],
      tools,
    });
    expect(answer).toEqual({ type: "text", text: "Sorry, I couldn't do that: no luck." });
  });

  test("anything else gets the offline notice; a long story is long", () => {
    expect(decide({ turns: [user("hello")], tools })).toEqual({
      type: "text",
      text: offlineNotice,
    });
    expect(offlineNotice).toContain("OPENAI_API_KEY");
    const story = decide({ turns: [user("tell me a long story")], tools });
    expect(story.type === "text" && story.text.split(" ").length).toBeGreaterThan(300);
  });
});

describe("answers that show how Markdown renders", () => {
  test("a request for a plan gets a sample week as a Markdown table and a list", () => {
    for (const asked of ["Can you make me a plan?", "show me a sample week", "plan my week"]) {
      const decision = decide({ turns: [user(asked)], tools });
      expect(decision).toEqual({ type: "text", text: samplePlan() });
    }
    const plan = samplePlan();
    expect(plan).toContain("| Day | Session | Minutes |");
    expect(plan).toMatch(/^\| --- \| --- \| ---: \|$/m);
    expect(plan).toMatch(/^1\. .+\n2\. /m);
    expect(plan).toContain("**sample week**");
  });

  test("a plan around pain is still a referral; a goal in the same message is still saved", () => {
    const rule = "Never give a medical diagnosis.";
    const hurt = decide({
      turns: [user("make me a plan, my knee hurts")],
      tools,
      instructions: rule,
    });
    expect(hurt.type === "text" && hurt.text).toContain("doctor");
    expect(decide({ turns: [user("My goal is a 5k, make me a plan")], tools })).toMatchObject({
      type: "tool_call",
      name: "update_profile",
    });
  });

  test('"repeat after me:" answers with the text exactly, HTML and newlines included', () => {
    const text = "<img src=x onerror=alert(1)>\n\n```js\nconst a = 1;\n```";
    expect(decide({ turns: [user(`repeat after me: ${text}`)], tools })).toEqual({
      type: "text",
      text,
    });
  });
});

describe("arguments from a schema", () => {
  test("drops unknown names, rounds integers, fills required placeholders", () => {
    const schema = {
      type: "object",
      properties: {
        count: { type: "integer" },
        label: { type: "string" },
        extra: { type: "string" },
      },
      required: ["count", "label"],
    };
    expect(build(schema, { Count: 2.6, nonsense: 1 })).toEqual({ count: 3, label: "" });
  });
});
