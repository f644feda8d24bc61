import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type RunRequest, toolResponse } from "@trainer2/shared/wire";
import { type AgentDouble, answer, manual } from "../testing/agent-double.ts";
import type { TestApi } from "../testing/index.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import { callToolAsAgent } from "../testing/tool-call.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;
let api: TestApi;
let agent: AgentDouble;

beforeAll(async () => {
  stage = await startRealtimeStage();
  ({ api, agent } = stage);
});
afterAll(() => stage.close());

const connect = (sub: string) => stage.signedIn(sub);

/** A first, completed turn so the user has a session to come back to. */
async function firstTurn(sub: string) {
  agent.setScript(answer("Welcome!"));
  const { socket } = await connect(sub);
  socket.send({ type: "chat", text: "hello", clientMsgId: "first" });
  const { sessionId } = await socket.next("message");
  await socket.next("run.completed");
  return { socket, sessionId };
}

/** What the agent does for a tool: the real `POST /tools/:name` with the run's own token. */
async function callTool(request: RunRequest, name: string, callId: string, body: unknown) {
  const run = { userId: request.userId, sessionId: request.sessionId, runId: request.runId };
  const response = await callToolAsAgent({
    apiUrl: api.url,
    keys: api.keys,
    run,
    tool: name,
    callId,
    args: body,
  });
  return toolResponse.parse(await response.json());
}

const goal = {
  displayName: null,
  goals: "run a 5k",
  experienceLevel: null,
  equipment: null,
  limitations: null,
  units: null,
};

describe("several sockets and resume", () => {
  test("two sockets of the user on the session receive the same turn", async () => {
    const sub = `two-${crypto.randomUUID()}`;
    const { socket: a, sessionId } = await firstTurn(sub);
    const { socket: b, ready } = await connect(sub);
    expect(ready.sessionId).toBe(sessionId);
    const stranger = await connect(`stranger-${crypto.randomUUID()}`);

    agent.setScript(answer("One", " two", " three"));
    const mark = a.events.length;
    a.send({ type: "chat", sessionId, text: "count", clientMsgId: "count" });
    await a.next("run.completed");
    await b.next("run.completed");
    const seenByA = a.events.slice(mark);
    const seenByB = b.events.slice(1);
    expect(seenByB).toEqual(seenByA);
    expect(seenByB.map((e) => e.type)).toEqual([
      "message",
      "run.started",
      "delta",
      "delta",
      "delta",
      "run.completed",
    ]);
    // Another user's socket hears nothing of it.
    expect(await stranger.socket.drain()).toEqual([]);
    for (const s of [a, b, stranger.socket]) s.close();
  });

  test("resume after a drop replays exactly the missed events, then the live ones", async () => {
    const sub = `resume-${crypto.randomUUID()}`;
    const { socket: first, sessionId } = await firstTurn(sub);
    agent.setScript(manual);
    first.send({ type: "chat", sessionId, text: "long answer please", clientMsgId: "long" });
    const userMessage = await first.next("message");
    const started = await first.next("run.started");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Part one, " });
    await first.next("delta");
    first.close();
    await first.closed;

    // While nobody listens the run goes on.
    run.send({ type: "delta", text: "part two, " });
    // Wait until the api has relayed the second delta (the run's text shows it) before the
    // new socket joins: else it may hear that delta live, ahead of its replay.
    while (api.app.hub.runOf(sessionId)?.text !== "Part one, part two, ") await Bun.sleep(10);
    const { socket: again } = await connect(sub);

    again.send({ type: "resume", sessionId, afterSeq: userMessage.message.seq });
    const replay = await again.drain();
    expect(replay).toEqual([
      {
        type: "message",
        sessionId,
        message: expect.objectContaining({
          seq: started.seq,
          role: "assistant",
          status: "streaming",
          runId: started.runId,
        }),
      },
      {
        type: "delta",
        runId: started.runId,
        sessionId,
        seq: started.seq,
        offset: 0,
        text: "Part one, part two, ",
      },
    ]);

    run.send({ type: "delta", text: "the end." });
    run.send({ type: "completed", output: "Part one, part two, the end.", items: [] });
    run.end();
    expect(await again.next()).toEqual({
      type: "delta",
      runId: started.runId,
      sessionId,
      seq: started.seq,
      offset: 20,
      text: "the end.",
    });
    expect(await again.next()).toMatchObject({
      type: "run.completed",
      runId: started.runId,
      seq: started.seq,
    });
    again.close();
  });

  test("resume of a finished session replays the stored messages after afterSeq only", async () => {
    const sub = `replay-${crypto.randomUUID()}`;
    const { socket, sessionId } = await firstTurn(sub);
    agent.setScript(answer("Second answer"));
    socket.send({ type: "chat", sessionId, text: "second question", clientMsgId: "q2" });
    await socket.next("run.completed");
    socket.close();

    const { socket: later } = await connect(sub);
    later.send({ type: "resume", sessionId, afterSeq: 2 });
    const replay = await later.drain();
    expect(
      replay.map(
        (e) =>
          e.type === "message" && [
            e.message.seq,
            e.message.role,
            e.message.content,
            e.message.status,
          ],
      ),
    ).toEqual([
      [3, "user", "second question", "complete"],
      [4, "assistant", "Second answer", "complete"],
    ]);
    later.send({ type: "resume", sessionId, afterSeq: 4 });
    expect(await later.drain()).toEqual([]);
    later.close();
  });

  test("a replayed answer carries its run's tool lines and why it ended", async () => {
    const sub = `replay-tools-${crypto.randomUUID()}`;
    const { socket, sessionId } = await firstTurn(sub);
    agent.setScript(manual);
    socket.send({ type: "chat", sessionId, text: "set my goal", clientMsgId: "goal" });
    const run = await agent.nextRun();
    run.send({ type: "tool", name: "update_profile", status: "started", callId: "c1" });
    expect(await callTool(run.request, "update_profile", "c1", goal)).toHaveProperty("result");
    run.send({
      type: "tool",
      name: "update_profile",
      status: "ok",
      summary: "update_profile done",
    });
    run.send({ type: "tool", name: "log_workout", status: "started", callId: "c2" });
    const refused = await callTool(run.request, "log_workout", "c2", {});
    expect(refused).toHaveProperty("error");
    const message = "error" in refused ? refused.error.message : "";
    run.send({
      type: "tool",
      name: "log_workout",
      status: "error",
      summary: message,
      callId: "c2",
    });
    run.send({ type: "delta", text: "Saved your goal, " });
    run.send({ type: "failed", code: "model_unavailable", message: "The model is down." });
    run.end();
    await socket.next("run.failed");
    socket.close();

    const { socket: later } = await connect(sub);
    later.send({ type: "resume", sessionId, afterSeq: 3 });
    // (A `state` event may come too: the profile changed.)
    const [replayed, ...rest] = (await later.drain()).filter((e) => e.type !== "state");
    expect(rest).toEqual([]);
    if (replayed?.type !== "message") throw new Error("expected the stored answer");
    expect(replayed.message).toMatchObject({
      seq: 4,
      status: "interrupted",
      errorCode: "model_unavailable",
      tools: [
        { name: "update_profile", status: "ok", summary: "update_profile done" },
        { name: "log_workout", status: "error", summary: expect.stringContaining("Invalid") },
      ],
    });
    later.close();
  });

  test("a resume mid-run shows each tool line once, however its store and event interleave", async () => {
    const sub = `resume-tools-${crypto.randomUUID()}`;
    const { socket: first, sessionId } = await firstTurn(sub);
    agent.setScript(manual);
    first.send({ type: "chat", sessionId, text: "set my goal", clientMsgId: "goal" });
    const started = await first.next("run.started");
    const run = await agent.nextRun();
    // A call that ended before the drop, and one whose row is stored but whose end the
    // agent has not announced yet (its line is still "started" on every page).
    run.send({ type: "tool", name: "get_profile", status: "started", callId: "c1" });
    expect(await callTool(run.request, "get_profile", "c1", {})).toHaveProperty("result");
    run.send({ type: "tool", name: "get_profile", status: "ok", summary: "get_profile done" });
    run.send({ type: "tool", name: "update_profile", status: "started", callId: "c2" });
    expect(await callTool(run.request, "update_profile", "c2", goal)).toHaveProperty("result");
    while (api.app.hub.runOf(sessionId)?.tools.length !== 2) await Bun.sleep(10);
    first.close();
    await first.closed;

    const { socket: again } = await connect(sub);
    again.send({ type: "resume", sessionId, afterSeq: started.seq - 1 });
    const base = { runId: started.runId, sessionId, seq: started.seq };
    // (A late `state` event of the profile change may come too: not what this is about.)
    expect((await again.drain()).filter((e) => e.type !== "state")).toEqual([
      {
        type: "message",
        sessionId,
        message: expect.objectContaining({
          seq: started.seq,
          status: "streaming",
          tools: [{ name: "get_profile", status: "ok", summary: "get_profile done" }],
        }),
      },
      { type: "delta", ...base, offset: 0, text: "" },
      { type: "tool", ...base, name: "update_profile", status: "started" },
    ]);
    // Its end now arrives live, once: the replay did not take it from the stored row too.
    run.send({
      type: "tool",
      name: "update_profile",
      status: "ok",
      summary: "update_profile done",
    });
    expect(await again.next("tool")).toEqual({
      type: "tool",
      ...base,
      name: "update_profile",
      status: "ok",
      summary: "update_profile done",
    });
    run.send({ type: "completed", output: "Done.", items: [] });
    run.end();
    await again.next("run.completed");
    expect(again.events.filter((e) => e.type === "tool").length).toBe(2);
    again.close();
  });

  test("publishState sends the user's fresh state to each of their sockets only", async () => {
    const sub = `state-${crypto.randomUUID()}`;
    const { socket: a, sessionId } = await firstTurn(sub);
    const { socket: b, ready } = await connect(sub);
    const stranger = await connect(`state-stranger-${crypto.randomUUID()}`);
    api.app.publishState(ready.user.id, sessionId);
    for (const socket of [a, b]) {
      const { state } = await socket.next("state");
      expect(state.user.id).toBe(ready.user.id);
      expect(state.session?.id).toBe(sessionId);
      expect(state.session?.messages.map((m) => m.content)).toEqual(["hello", "Welcome!"]);
    }
    expect(await stranger.socket.drain()).toEqual([]);
    for (const s of [a, b, stranger.socket]) s.close();
  });

  test("a malformed resume is a bad frame", async () => {
    const { socket } = await connect(`bad-resume-${crypto.randomUUID()}`);
    socket.send({ type: "resume", sessionId: "nope", afterSeq: -1 } as never);
    expect(await socket.next()).toMatchObject({ type: "error", code: "bad_request" });
    socket.close();
  });
});
