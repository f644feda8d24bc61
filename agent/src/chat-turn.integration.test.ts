/**
 * End to end without a browser: a signed-in WebSocket on the real api drives complete chat
 * turns through the real agent, the offline model (over HTTP) and the real tools and
 * database, in both OpenAI APIs.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { type ServerEvent, serverEvent } from "@trainer2/shared/wire";
import type { TestAgent } from "./testing/index.ts";
import { type OpenAiApi, startAgentPerApi } from "./testing/run-helpers.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

/** A WebSocket whose server events are read in order, each checked against the contract. */
async function openSocket(url: string) {
  const socket = new WebSocket(url);
  const queue: ServerEvent[] = [];
  const waiters: (() => void)[] = [];
  socket.addEventListener("message", (message) => {
    queue.push(serverEvent.parse(JSON.parse(String(message.data))));
    waiters.shift()?.();
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  /** The next event (of `type`, skipping others), failing after a bound instead of hanging. */
  async function next<T extends ServerEvent["type"]>(type?: T, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = queue.shift();
      if (event && (!type || event.type === type))
        return event as Extract<ServerEvent, { type: T }>;
      if (event) continue;
      if (Date.now() > deadline) throw new Error(`no ${type ?? "event"} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }
  /** Every event up to and including the run's end. */
  async function untilRunEnds() {
    const events: ServerEvent[] = [];
    for (;;) {
      const event = await next();
      events.push(event);
      if (event.type === "run.completed" || event.type === "run.failed") return events;
    }
  }
  return {
    send: (frame: unknown) => socket.send(JSON.stringify(frame)),
    next,
    untilRunEnds,
    close: () => socket.close(),
  };
}

let api: TestApi;
let agents: Record<OpenAiApi, TestAgent>;

beforeAll(async () => {
  api = await startTestApi();
  agents = await startAgentPerApi(api, { offlineDelayMs: 2 });
});

afterAll(async () => {
  for (const agent of Object.values(agents ?? {})) await agent.close();
  await api?.close();
});

describe.each(["chat_completions", "responses"] as const)("a chat turn end to end (%s)", (mode) => {
  test("log a workout, then ask about the week, in one session", async () => {
    api.setAgentUrl(agents[mode]!.url);
    const email = `${crypto.randomUUID()}@example.com`;
    const token = await api.identity.mintIdToken({ email, sub: email });
    const socket = await openSocket(`${api.wsUrl}?token=${token}`);
    try {
      const ready = await socket.next("ready");
      socket.send({ type: "chat", text: "Please log a 30 minute run", clientMsgId: "c1" });
      const first = await socket.untilRunEnds();
      const started = first.find((event) => event.type === "run.started");
      if (started?.type !== "run.started") throw new Error("no run.started");
      const { sessionId } = started;

      const tools = first.filter((event) => event.type === "tool");
      expect(tools.map((event) => [event.name, event.status])).toEqual([
        ["log_workout", "started"],
        ["log_workout", "ok"],
      ]);
      const deltas = first.filter((event) => event.type === "delta");
      expect(deltas.length).toBeGreaterThan(3);
      const answer = deltas.map((event) => event.text).join("");
      expect(answer).toContain("30 min run");
      expect(first.at(-1)?.type).toBe("run.completed");

      // The tool's change reached the socket as a state event with the new workout.
      const state = first.find((event) => event.type === "state") ?? (await socket.next("state"));
      if (state.type !== "state") throw new Error("unreachable");
      expect(state.state.workouts.map((workout) => [workout.kind, workout.durationMin])).toEqual([
        ["run", 30],
      ]);
      expect(state.state.offlineModel).toBe(true);

      const workouts = await api.sql`
        select kind, duration_min from workouts where user_id = ${ready.user.id}`;
      expect([...workouts]).toEqual([{ kind: "run", duration_min: 30 }]);
      const stored = await api.sql<{ role: string; content: string; status: string }[]>`
        select role, content, status from messages where session_id = ${sessionId} order by seq`;
      expect(stored.map((row) => [row.role, row.status])).toEqual([
        ["user", "complete"],
        ["assistant", "complete"],
      ]);
      expect(stored[1]!.content).toBe(answer);

      // Second turn: the stored items come back as history, and the summary tool reads the run.
      socket.send({ type: "chat", sessionId, text: "What did I do this week?", clientMsgId: "c2" });
      const second = await socket.untilRunEnds();
      expect(second.at(-1)?.type).toBe("run.completed");
      const summary = second
        .filter((event) => event.type === "delta")
        .map((event) => event.text)
        .join("");
      expect(summary).toBe("This week you did 1 workout(s), 30 minutes in total. Keep going!");
      const audit = await api.sql<{ tool: string; status: string }[]>`
        select tool, status from tool_calls where user_id = ${ready.user.id} order by created_at`;
      expect(audit.map((row) => [row.tool, row.status])).toEqual([
        ["log_workout", "ok"],
        ["get_training_summary", "ok"],
      ]);
    } finally {
      socket.close();
    }
  });
});
