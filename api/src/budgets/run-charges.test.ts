/**
 * What a run costs, on every path (the real api, budgets on, a scripted agent): a stopped,
 * crashed or timed-out answer is charged for the model call it was in (its input and the
 * text streamed so far), a resumed run reserves and is judged like any run, and over a random
 * mix of turns, stops, crashes and resumes a person's charge passes the daily limit by at
 * most one run's maximum.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ServerEvent } from "@trainer2/shared/wire";
import { manual, type RunIo } from "../testing/agent-double.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import type { TestSocket } from "../testing/test-socket.ts";
import { budgetsOff } from "./settings.ts";

setDefaultTimeout(120_000);

const maxOutputTokens = 100;
const dailyTokens = 4000;
let stage: RealtimeStage;

beforeAll(async () => {
  stage = await startRealtimeStage({
    budgets: {
      ...budgetsOff,
      defaults: { dailyTokens, turnsPerMinute: 0, concurrentRuns: 2 },
      maxOutputTokens,
    },
  });
  stage.agent.setScript(manual);
});
afterAll(() => stage.close());

const chargedTo = async (userId: string) => {
  const [day] = await stage.api.sql<{ tokens: number }[]>`
    select coalesce(sum(input_tokens + output_tokens), 0)::int as tokens from budget_days
    where user_id = ${userId}`;
  return day!.tokens;
};

/** The next event of one of `types` (others are passed over). */
async function until(socket: TestSocket, types: string[]): Promise<ServerEvent> {
  for (;;) {
    const event = await socket.next();
    if (types.includes(event.type)) return event;
  }
}

async function endOf(socket: TestSocket) {
  for (;;) {
    const event = await socket.next();
    if (event.type === "run.completed" || event.type === "run.failed") return event;
  }
}

/** A turn under way: the agent's side of it and the `run.started` the socket saw. */
async function turnUnderWay(socket: TestSocket, text: string, sessionId?: string) {
  socket.send({
    type: "chat",
    text,
    clientMsgId: crypto.randomUUID(),
    ...(sessionId ? { sessionId } : {}),
  });
  const io = await stage.agent.nextRun();
  const started = await socket.next("run.started");
  return { io, started };
}

describe("a run that ends without a report is charged an estimate", () => {
  test("stopped mid-answer: its input and the 400 characters shown", async () => {
    const { socket, ready } = await stage.signedIn();
    const { io, started } = await turnUnderWay(socket, "hello");
    for (let i = 0; i < 4; i++) io.send({ type: "delta", text: "z".repeat(100) });
    for (let seen = 0; seen < 4; ) if ((await socket.next()).type === "delta") seen++;
    socket.send({ type: "cancel", runId: started.runId });
    expect(await endOf(socket)).toMatchObject({ type: "run.failed", code: "cancelled" });
    // "hello" ≈ 2 tokens of input; 400 characters ≈ 100 tokens of output (the cap).
    expect(await chargedTo(ready.user.id)).toBe(2 + 100);
  });

  test("an agent that breaks off after a reported call: that call, and the one it was in", async () => {
    const { socket, ready } = await stage.signedIn();
    const { io } = await turnUnderWay(socket, "log my run");
    io.send({ type: "usage", usage: { inputTokens: 30, outputTokens: 7 } });
    io.send({ type: "tool", name: "log_workout", status: "started", callId: "c1" });
    io.send({ type: "tool", name: "log_workout", status: "ok", callId: "c1" });
    io.send({ type: "delta", text: "Logged. " });
    await socket.next("delta");
    io.crash();
    expect(await endOf(socket)).toMatchObject({ type: "run.failed", code: "agent_error" });
    // 37 reported; the next call's input is at least the last one's (30), plus 2 of output.
    expect(await chargedTo(ready.user.id)).toBe(37 + 30 + 2);
  });

  test("a run the agent ended with its own total is charged that, and nothing more", async () => {
    const { socket, ready } = await stage.signedIn();
    const { io } = await turnUnderWay(socket, "hi");
    io.send({ type: "delta", text: "Hello there." });
    io.send({
      type: "completed",
      output: "Hello there.",
      items: [],
      usage: { inputTokens: 40, outputTokens: 3 },
    });
    io.end();
    expect((await endOf(socket)).type).toBe("run.completed");
    expect(await chargedTo(ready.user.id)).toBe(43);
  });
});

/** Pauses the run on one call, as the agent does, having used `usage`. */
function pause(io: RunIo, usage = { inputTokens: 20, outputTokens: 5 }) {
  io.send({
    type: "approval.required",
    state: `state of ${io.request.runId}`,
    calls: [{ callId: "call-1", name: "delete_workout", arguments: { workoutId: "w" } }],
    usage,
  });
  io.end();
}

describe("a resumed run", () => {
  test("counts as a run at once: two approved together, the second waits its turn", async () => {
    const { socket } = await stage.signedIn();
    const asked: Extract<ServerEvent, { type: "approval.requested" }>[] = [];
    for (const text of ["delete one", "delete two"]) {
      const { io } = await turnUnderWay(socket, text);
      pause(io);
      asked.push(await socket.next("approval.requested"));
    }
    // Two runs at once are allowed; a third turn takes the first of them now.
    const busy = await turnUnderWay(socket, "meanwhile");
    for (const card of asked)
      socket.send({ type: "approval", runId: card.runId, callId: "call-1", decision: "approve" });
    const first = await stage.agent.nextRun();
    expect(first.request.resume).toBeDefined();
    const refused = await endOf(socket);
    expect(refused).toMatchObject({ type: "run.failed", code: "budget_exceeded" });
    for (const io of [first, busy.io]) {
      io.send({
        type: "completed",
        output: "done",
        items: [],
        usage: { inputTokens: 1, outputTokens: 1 },
      });
      io.end();
    }
    expect((await endOf(socket)).type).toBe("run.completed");
    expect((await endOf(socket)).type).toBe("run.completed");
  });
});

/** A small seeded generator (mulberry32): the same mix on every run of the test. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("over a random mix of turns, stops, crashes and resumes", () => {
  test("a person's charge passes the daily limit by at most one run's maximum", async () => {
    const random = seeded(20261207);
    const pick = (n: number) => Math.floor(random() * n);
    const { socket, ready } = await stage.signedIn();
    const userId = ready.user.id;
    let largestInput = 0;
    let refusals = 0;
    let sessionId: string | undefined;

    /** One model call as a provider reports it: streamed text, then its usage. */
    const modelCall = async (
      io: RunIo,
      index: number,
      totals: { inputTokens: number; outputTokens: number },
    ) => {
      const input =
        Math.ceil((io.request.input.length + JSON.stringify(io.request.history).length) / 4) +
        30 * index;
      largestInput = Math.max(largestInput, input);
      const text = "w".repeat(40 + pick(360));
      io.send({ type: "delta", text });
      totals.inputTokens += input;
      totals.outputTokens += Math.min(maxOutputTokens, Math.ceil(text.length / 4));
      io.send({ type: "usage", usage: { ...totals } });
      return text;
    };
    /** After a tool line, the api either extends the run's reservation or stops the run. */
    const extendedOrStopped = async (io: RunIo, reportedInput: number) => {
      let stopped = false;
      void io.aborted.then(() => {
        stopped = true;
      });
      for (;;) {
        if (stopped) return false;
        const [row] = await stage.api.sql<{ reported: string }[]>`
          select reported_input as reported from budget_reservations where run_id = ${io.request.runId}`;
        if (!row || Number(row.reported) >= reportedInput) return !stopped;
        await Bun.sleep(2);
      }
    };
    const agentTurn = async (io: RunIo, kind: number) => {
      const totals = { inputTokens: 0, outputTokens: 0 };
      const calls = 1 + pick(4);
      for (let index = 0; index < calls; index++) {
        await modelCall(io, index, totals);
        if (index === calls - 1) break;
        io.send({ type: "tool", name: "get_profile", status: "started", callId: `c${index}` });
        if (!(await extendedOrStopped(io, totals.inputTokens))) return;
        io.send({ type: "tool", name: "get_profile", status: "ok", callId: `c${index}` });
      }
      if (kind === 0) {
        io.send({ type: "completed", output: "done", items: [], usage: totals });
        io.end();
      } else if (kind === 1) {
        pause(io, totals);
      } else {
        // Stopped or crashed mid-call: streamed text the agent never reported.
        io.send({ type: "tool", name: "get_profile", status: "started", callId: "last" });
        io.send({ type: "tool", name: "get_profile", status: "ok", callId: "last" });
        io.send({ type: "delta", text: "v".repeat(40 + pick(200)) });
      }
    };

    // Every run the agent gets, in order (a waiter of our own: none is left to take a later one).
    const arrived: RunIo[] = [];
    let onArrival: (() => void) | undefined;
    stage.agent.setScript((io) => {
      arrived.push(io);
      onArrival?.();
    });
    const nextRun = () =>
      arrived.length > 0
        ? Promise.resolve(arrived.shift()!)
        : new Promise<RunIo>((resolve) => {
            onArrival = () => {
              onArrival = undefined;
              resolve(arrived.shift()!);
            };
          });
    const ends = ["run.completed", "run.failed"];

    for (let action = 0; action < 40 && refusals < 4; action++) {
      const kind = pick(4); // 0 answer, 1 pause then resume, 2 stop, 3 crash
      socket.send({
        type: "chat",
        text: `turn ${action} ${"t".repeat(pick(200))}`,
        clientMsgId: crypto.randomUUID(),
        ...(sessionId ? { sessionId } : {}),
      });
      const first = await until(socket, ["error", "run.started"]);
      if (first.type === "error") {
        expect(first.code).toBe("budget_exceeded");
        refusals++;
        continue;
      }
      if (first.type !== "run.started") throw new Error("unreachable");
      refusals = 0;
      sessionId = first.sessionId;
      const io = await nextRun();
      await agentTurn(io, kind);
      let end: ServerEvent | undefined;
      if (kind === 1) {
        const card = await until(socket, ["approval.requested", ...ends]);
        if (card.type !== "approval.requested") continue;
        socket.send({ type: "approval", runId: card.runId, callId: "call-1", decision: "approve" });
        await until(socket, ["run.started"]);
        // Refused by the budget: its end comes next; else the agent gets the resumed run.
        const next = socket.next();
        const resumed = await Promise.race([nextRun(), next]);
        if ("type" in resumed) {
          if (!ends.includes(resumed.type)) throw new Error(`unexpected ${resumed.type}`);
          continue;
        }
        await agentTurn(resumed, 0);
      } else if (kind === 2 || kind === 3) {
        end = await until(socket, ["delta", ...ends]);
        if (end.type === "delta") {
          end = undefined;
          if (kind === 2) socket.send({ type: "cancel", runId: first.runId });
          else io.crash();
        }
      }
      if (!end) await endOf(socket);
    }
    const charged = await chargedTo(userId);
    // The limit was reached: the mix went on until turns were refused.
    expect(refusals).toBeGreaterThan(0);
    // One run's maximum: its model calls (the agent makes 8 at most), each its input and an answer.
    const oneRunAtMost = 8 * (largestInput + maxOutputTokens);
    expect(charged).toBeLessThanOrEqual(dailyTokens + oneRunAtMost);
    expect(
      await stage.api.sql`select 1 from budget_reservations where user_id = ${userId}`,
    ).toHaveLength(0);
  });
});
