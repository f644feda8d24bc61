/**
 * A turn's budget against the real agent and the offline model, in both of the SDK's OpenAI
 * APIs: what the day is charged is exactly what the model reported (counted like a real
 * model's usage: through the SDK, from the API's own usage fields), priced by MODEL_PRICES;
 * the turn's span carries the reservation, the usage and the cost; GET /state shows what is
 * left of the day.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TestAgent } from "@trainer2/agent/testing";
import { parsePriceTable } from "@trainer2/shared/prices";
import { initTelemetry, spanNames } from "@trainer2/shared/telemetry";
import { attribute, startOtlpReceiver } from "@trainer2/shared/testing/otlp-receiver";
import { stateDto } from "@trainer2/shared/wire";
import { type ChatStack, openChat, startStack } from "@trainer2/testkit";

setDefaultTimeout(60_000);

let receiver: ReturnType<typeof startOtlpReceiver>;
let telemetry: ReturnType<typeof initTelemetry>;
let stack: ChatStack;
const agents = {} as Record<"chat_completions" | "responses", TestAgent>;

const dailyTokens = 1_000_000;
// USD per million tokens: a priced offline model, so the estimate has something to show.
const prices = parsePriceTable("trainer2-offline=1000/2000");

beforeAll(async () => {
  receiver = startOtlpReceiver();
  telemetry = initTelemetry({
    serviceName: "api",
    otlpEndpoint: receiver.url,
    logLevel: "silent",
    exportDelayMs: 100,
  });
  stack = await startStack({
    api: {
      telemetry,
      budgets: {
        defaults: { dailyTokens, turnsPerMinute: 0, concurrentRuns: 0 },
        maxOutputTokens: 300,
        timeZone: "UTC",
        prices,
      },
    },
  });
  agents.chat_completions = stack.agent;
  agents.responses = await stack.startAgent({ apiUrl: stack.api.url, api: "responses" });
});

afterAll(async () => {
  await stack?.close();
  await telemetry?.shutdown();
  receiver?.stop();
});

describe.each(["chat_completions", "responses"] as const)("a turn's budget (%s)", (mode) => {
  test("the day is charged exactly what the model reported, priced; the span says so", async () => {
    const agent = agents[mode];
    stack.api.setAgentUrl(agent.url);
    const stats = agent.model.offlineStats!;
    const before = { ...stats.reported };
    const chat = await openChat(stack.api);
    // Two model calls: the tool call, then the answer.
    const events = await chat.turn("Please log a 30 minute run");
    chat.close();
    expect(events.at(-1)?.type).toBe("run.completed");
    const runId = events.find((event) => event.type === "run.started")!.runId as string;
    const reported = {
      input: stats.reported.inputTokens - before.inputTokens,
      output: stats.reported.outputTokens - before.outputTokens,
    };
    expect(reported.input).toBeGreaterThan(0);
    const cost = (reported.input * 1000 + reported.output * 2000) / 1e6;

    const userId = chat.ready.type === "ready" ? chat.ready.user.id : "";
    const [day] = await stack.api.sql<{ input: number; output: number; cost: number }[]>`
      select input_tokens::int as input, output_tokens::int as output, cost_usd as cost
      from budget_days where user_id = ${userId}`;
    expect({ input: day?.input, output: day?.output }).toEqual(reported);
    expect(day?.cost).toBeCloseTo(cost, 9);

    // The turn's span: what it reserved (its message and a whole answer at the cap), used, cost.
    // The span ends just after run.completed is sent: flushed until it is there.
    const turn = await exported(() =>
      receiver
        .spans("api")
        .find(
          (span) => span.name === spanNames.chatTurn && attribute(span, "chat.run_id") === runId,
        ),
    );
    expect(attribute(turn, "chat.budget.reserved_tokens")).toBe(
      Math.ceil("Please log a 30 minute run".length / 4) + 300,
    );
    expect(attribute(turn, "chat.usage.input_tokens")).toBe(reported.input);
    expect(attribute(turn, "chat.usage.output_tokens")).toBe(reported.output);
    expect(attribute(turn, "chat.usage.model")).toBe("trainer2-offline");
    expect(attribute(turn, "chat.cost_usd")).toBeCloseTo(cost, 9);

    // What the person sees: the day's limit, what is used, when it resets.
    const response = await fetch(`${stack.api.url}/state`, {
      headers: { authorization: `Bearer ${chat.idToken}` },
    });
    const state = stateDto.parse(await response.json());
    expect(state.budget).toMatchObject({
      dailyTokens,
      usedTokens: reported.input + reported.output,
    });
    expect(Date.parse(state.budget!.resetsAt)).toBeGreaterThan(Date.now());
  });
});

async function exported<T>(found: () => T | undefined): Promise<T> {
  for (let tries = 0; tries < 100; tries++) {
    await telemetry.flush();
    const value = found();
    if (value !== undefined) return value;
    await Bun.sleep(50);
  }
  throw new Error("the turn's span was not exported");
}
