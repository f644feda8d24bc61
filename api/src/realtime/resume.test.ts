import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "../testing.ts";
import { type AgentDouble, answer, manual, startAgentDouble } from "./agent-double.ts";
import { openSocket } from "./test-socket.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;
let agent: AgentDouble;

beforeAll(async () => {
  api = await startTestApi();
  agent = await startAgentDouble({ apiPublicKey: api.keys.apiPublicKey });
  api.setAgentUrl(agent.url);
});
afterAll(async () => {
  await api.close();
  await agent.close();
});

async function connect(sub: string) {
  const token = await api.identity.mintIdToken({ sub, email: `${sub}@example.com` });
  const socket = await openSocket(`${api.wsUrl}?token=${token}`);
  const ready = await socket.next("ready");
  return { socket, ready };
}

/** A first, completed turn so the user has a session to come back to. */
async function firstTurn(sub: string) {
  agent.setScript(answer("Welcome!"));
  const { socket } = await connect(sub);
  socket.send({ type: "chat", text: "hello", clientMsgId: "first" });
  const { sessionId } = await socket.next("message");
  await socket.next("run.completed");
  return { socket, sessionId };
}

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
    const { socket: again } = await connect(sub);
    // Wait until the api has relayed the second delta (the run's text shows it).
    while (api.app.hub.runOf(sessionId)?.text !== "Part one, part two, ") await Bun.sleep(10);

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
