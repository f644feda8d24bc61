/**
 * Faults as a person meets them, against a real Postgres this file stops and starts
 * (`pg_ctl stop -m immediate`) and real api and agent processes it kills with SIGKILL: an answer that
 * ends during an outage is stored when the database is back and never shows as streaming;
 * an outage signs nobody out; a crash keeps what was shown; the api waits for a database
 * that is not up yet; an oversized request gets the one error shape.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { noAgent, type TestApi } from "@trainer2/api/testing";
import {
  type AgentDouble,
  answer,
  manual,
  startAgentDouble,
} from "@trainer2/api/testing/agent-double";
import { openSocket } from "@trainer2/api/testing/test-socket";
import { errorBody } from "@trainer2/shared/errors";
import { failures } from "@trainer2/shared/failures";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import { stateDto } from "@trainer2/shared/wire";
import { createStack, type Stack } from "@trainer2/testkit";
import { type PostgresCluster, startPostgresCluster } from "@trainer2/testkit/postgres-cluster";

setDefaultTimeout(90_000);

let cluster: PostgresCluster;
let stack: Stack;
let agent: AgentDouble;
let api: TestApi;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  stack = await createStack({
    database: { kind: "fresh", serverUrl: cluster.url, migrateInPlace: true },
  });
  agent = await startAgentDouble({ apiPublicKey: stack.keys.apiPublicKey });
  api = await stack.startApi({
    agentUrl: () => agent.url,
    realtime: { checkpointIntervalMs: 20, endWriteRetryMs: 60_000 },
  });
});
afterAll(async () => {
  await stack?.close();
  await agent?.close();
  await cluster?.destroy();
});

async function signedIn(target: { wsUrl: string }, token: string) {
  const socket = await openSocket(`${target.wsUrl}?token=${token}`);
  await socket.next("ready");
  return socket;
}

const getState = (url: string, token: string) =>
  fetch(`${url}/state`, { headers: { authorization: `Bearer ${token}` } });

/** Resolves once `check` holds, retrying every 25 ms (a database coming back, a write). */
async function until<T>(check: () => Promise<T | undefined>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

describe("a database outage", () => {
  test("an answer that ends during it is stored once it is back, never shown as streaming", async () => {
    agent.setScript(manual);
    const token = await api.identity.mintIdToken();
    const socket = await signedIn(api, token);
    socket.send({ type: "chat", text: "tell me", clientMsgId: "during" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    run.send({ type: "delta", text: "Before the outage, " });
    await socket.next("delta");
    await cluster.stop({ mode: "immediate" });
    answer("after it.")(run);
    // The whole answer reached the page; its end waits for the database.
    expect((await socket.next("delta")).text).toBe("after it.");
    await cluster.start();
    // From the moment the database answers again, the answer never reads as streaming.
    const seen: string[] = [];
    const completed = () => socket.events.some((event) => event.type === "run.completed");
    const deadline = Date.now() + 60_000;
    while (!completed()) {
      if (Date.now() > deadline) throw new Error("the answer was not stored within 60 s");
      const response = await getState(api.url, token).catch(() => undefined);
      if (response?.status === 200) {
        const state = stateDto.parse(await response.json());
        seen.push(state.session?.messages.at(-1)?.status ?? "none");
      }
      await Bun.sleep(10);
    }
    expect(seen.filter((status) => status === "streaming")).toEqual([]);
    const [row] = await api.sql`select content, status from messages
      where session_id = ${sessionId} and role = 'assistant'`;
    expect(row).toEqual({ content: "after it.", status: "complete" });
    socket.close();
  });

  test("signs nobody out: sockets are told to retry, /state and chat say unavailable", async () => {
    const token = await api.identity.mintIdToken();
    const open = await signedIn(api, token);
    await cluster.stop({ mode: "immediate" });
    try {
      const refused = await openSocket(`${api.wsUrl}?token=${token}`);
      expect((await refused.closed).code).toBe(1013);
      const state = await getState(api.url, token);
      expect(state.status).toBe(503);
      expect(errorBody.parse(await state.json()).error).toEqual({
        code: "unavailable",
        message: failures.unavailable.message,
      });
      open.send({ type: "chat", text: "anyone?", clientMsgId: "outage" });
      expect(await open.next("error")).toMatchObject({ code: "unavailable" });
    } finally {
      await cluster.start();
    }
    const again = await until(async () => {
      const socket = await openSocket(`${api.wsUrl}?token=${token}`);
      const first = await Promise.race([
        socket.next("ready").then(() => "ready"),
        socket.closed.then(() => "closed"),
      ]);
      return first === "ready" ? socket : undefined;
    }, "a socket to get ready again");
    again.close();
    open.close();
  });
});

describe("an api process that crashes or starts early", () => {
  test("SIGKILL mid-answer keeps what was shown, as interrupted", async () => {
    agent.setScript(manual);
    const child = await stack.startApiProcess({
      agentUrl: agent.url,
      env: { STREAM_CHECKPOINT_MS: "20" },
    });
    const key = await importPrivateKey(stack.keys.devLoginPrivateKey);
    const { idToken } = await signDevIdToken({ email: "crash@example.com", name: "Crash" }, key);
    const wsUrl = `${child.url.replace("http", "ws")}/realtime`;
    const socket = await signedIn({ wsUrl }, idToken);
    socket.send({ type: "chat", text: "a long answer", clientMsgId: "crash" });
    const { sessionId } = await socket.next("message");
    const run = await agent.nextRun();
    const shown = "Chapter one: a runner laced up her shoes before dawn.";
    run.send({ type: "delta", text: shown });
    await socket.next("delta");
    await until(async () => {
      const [row] = await api.sql`select content from messages
        where session_id = ${sessionId} and role = 'assistant' and content = ${shown}`;
      return row;
    }, "the checkpoint");
    await child.kill("SIGKILL");
    await child.restart();
    const after = await signedIn({ wsUrl }, idToken);
    const stored = await until(async () => {
      after.send({ type: "resume", sessionId, afterSeq: 1 });
      const [event] = await after.drain();
      return event?.type === "message" && event.message.status !== "streaming"
        ? event.message
        : undefined;
    }, "the answer to be interrupted");
    expect(stored).toMatchObject({
      status: "interrupted",
      content: shown,
      errorCode: "interrupted",
    });
    after.close();
  });

  test("an api started before its database waits for it, saying so", async () => {
    await cluster.stop({ mode: "fast" });
    const early = await stack.startApiProcess({ spawnOnly: true });
    try {
      await early.waitForLine(/waiting for the database/);
    } finally {
      await cluster.start();
    }
    await early.healthy();
    expect((await fetch(`${early.url}/health`)).status).toBe(200);
  });

  test("URL and headers over Bun's limit: a JSON 431 in the one error shape", async () => {
    const child = await stack.startApiProcess();
    const response = await fetch(`${child.url}/state`, {
      headers: { "x-padding": "x".repeat(20_000) },
    });
    expect(response.status).toBe(431);
    expect(errorBody.parse(await response.json()).error.code).toBe("headers_too_large");
  });
});

describe("an agent process", () => {
  let agentUrl = noAgent;
  let viaAgent: TestApi;
  let child: Awaited<ReturnType<Stack["startAgentProcess"]>>;
  beforeAll(async () => {
    viaAgent = await stack.startApi({
      agentUrl: () => agentUrl,
      realtime: { checkpointIntervalMs: 20 },
    });
    // A slow offline model: the plan's table streams for a while, so a kill lands mid-answer.
    const model = await stack.startModelProcess({ delayMs: 40 });
    child = await stack.startAgentProcess({ apiUrl: viaAgent.url, modelBaseUrl: model.baseUrl });
    agentUrl = child.url;
  });

  test("URL and headers over the limit: a JSON 431 in the one error shape, as the api's", async () => {
    const response = await fetch(`${child.url}/health`, {
      headers: { "x-padding": "x".repeat(20_000) },
    });
    expect(response.status).toBe(431);
    expect(errorBody.parse(await response.json()).error.code).toBe("headers_too_large");
  });

  test("SIGKILL mid-answer: the run fails at once with what was shown kept; a new agent answers", async () => {
    const socket = await signedIn(viaAgent, await viaAgent.identity.mintIdToken());
    socket.send({ type: "chat", text: "make me a plan", clientMsgId: "agent-crash" });
    const { sessionId } = await socket.next("message");
    const firstDelta = await socket.next("delta");
    await child.kill("SIGKILL");
    const failed = await socket.next("run.failed");
    // The stream broke mid-answer (agent-client.ts): not "unreachable", which is before any byte.
    expect(failed.code).toBe("agent_error");
    const shown = socket.events
      .filter((event) => event.type === "delta")
      .map((event) => event.text)
      .join("");
    expect(shown.startsWith(firstDelta.text)).toBe(true);
    const [row] = await viaAgent.sql`select content, status, error_code from messages
      where session_id = ${sessionId} and role = 'assistant'`;
    expect(row).toEqual({ content: shown, status: "interrupted", error_code: "agent_error" });

    // The same agent started again on its port: the next turn is answered as usual.
    await child.restart();
    socket.send({ type: "chat", sessionId, text: "hello again", clientMsgId: "after-crash" });
    expect((await socket.next("run.completed")).sessionId).toBe(sessionId);
    socket.close();
  });
});
