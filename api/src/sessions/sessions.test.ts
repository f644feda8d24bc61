import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { errorBody } from "@trainer2/shared/errors";
import { sessionSummaryDto } from "@trainer2/shared/wire";
import { answer, manual } from "../testing/agent-double.ts";
import { badTokens } from "../testing/bad-tokens.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;

beforeAll(async () => {
  stage = await startRealtimeStage();
});
afterAll(() => stage.close());

const call: RealtimeStage["call"] = (...args) => stage.call(...args);

async function errorOf(response: Response) {
  return errorBody.parse(await response.json()).error;
}

/** A signed-in user with one answered chat; the socket follows it. */
async function chatOfOwn() {
  const signed = await stage.signedIn();
  stage.agent.setScript(answer("hi"));
  signed.socket.send({ type: "chat", text: "my first chat", clientMsgId: "first" });
  const { sessionId } = await signed.socket.next("message");
  await signed.socket.next("run.completed");
  return { ...signed, sessionId };
}

describe("the chat routes refuse every bad token", () => {
  test("PATCH and DELETE /sessions/:id: 401 for each, and nothing changes", async () => {
    const { sessionId, socket } = await chatOfOwn();
    const path = `/sessions/${sessionId}`;
    const refused = [];
    for (const { name, token, reason } of [
      { name: "none", token: "", reason: "Bearer" },
      ...(await badTokens(stage.api)),
    ]) {
      for (const [method, body] of [
        ["PATCH", { title: "stolen" }],
        ["DELETE", undefined],
      ] as const) {
        const response = await call(method, path, token || null, body);
        const error = await errorOf(response);
        if (
          response.status !== 401 ||
          error.code !== "unauthorized" ||
          !error.message.includes(reason)
        )
          refused.push({ name, method, status: response.status, error });
      }
    }
    expect(refused).toEqual([]);
    const [row] = await stage.api.sql`select title from chat_sessions where id = ${sessionId}`;
    expect(row).toEqual({ title: "my first chat" });
    socket.close();
  });
});

describe("rename a chat", () => {
  test("the owner renames it; every socket of theirs gets the new list", async () => {
    const { sessionId, socket, token } = await chatOfOwn();
    const response = await call("PATCH", `/sessions/${sessionId}`, token, { title: "  5k plan " });
    expect(response.status).toBe(200);
    const renamed = sessionSummaryDto.parse(await response.json());
    expect(renamed).toMatchObject({ id: sessionId, title: "5k plan" });
    for (;;) {
      const { state } = await socket.next("state");
      if (state.sessions.some((s) => s.id === sessionId && s.title === "5k plan")) break;
    }
    socket.close();
  });

  test("a bad body or id is a 400 naming what is wrong; another's chat is a 404", async () => {
    const { sessionId, socket, token } = await chatOfOwn();
    const path = `/sessions/${sessionId}`;
    const cases: [string, unknown, string][] = [
      [path, { title: "   " }, "title"],
      [path, { title: "x".repeat(81) }, "title"],
      [path, { title: "ok", extra: 1 }, "extra"],
      [path, "{not json", "JSON"],
      ["/sessions/not-a-uuid", { title: "ok" }, "UUID"],
    ];
    for (const [where, body, named] of cases) {
      const response = await call("PATCH", where, token, body);
      expect({ where, status: response.status }).toEqual({ where, status: 400 });
      expect((await errorOf(response)).message).toContain(named);
    }
    const stranger = await stage.signedIn();
    const response = await call("PATCH", path, stranger.token, { title: "mine" });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
    socket.close();
    stranger.socket.close();
  });
});

describe("delete a chat", () => {
  test("the owner deletes it with its messages; the list no longer has it", async () => {
    const { sessionId, socket, token } = await chatOfOwn();
    const response = await call("DELETE", `/sessions/${sessionId}`, token);
    expect(response.status).toBe(204);
    expect(await stage.api.sql`select 1 from messages where session_id = ${sessionId}`).toEqual(
      [] as never,
    );
    for (;;) {
      const { state } = await socket.next("state");
      if (!state.sessions.some((s) => s.id === sessionId)) break;
    }
    expect((await call("DELETE", `/sessions/${sessionId}`, token)).status).toBe(404);
    socket.close();
  });

  test("refused as busy while an answer is being written in it; allowed once it ended", async () => {
    const { sessionId, socket, token } = await chatOfOwn();
    stage.agent.setScript(manual);
    socket.send({ type: "chat", sessionId, text: "go on", clientMsgId: "go-on" });
    await socket.next("run.started");
    const run = await stage.agent.nextRun();
    const refused = await call("DELETE", `/sessions/${sessionId}`, token);
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({ code: "busy", sessionId });
    answer("ended")(run);
    await socket.next("run.completed");
    expect((await call("DELETE", `/sessions/${sessionId}`, token)).status).toBe(204);
    socket.close();
  });

  test("another's chat is a 404 and stays", async () => {
    const { sessionId, socket } = await chatOfOwn();
    const stranger = await stage.signedIn();
    const response = await call("DELETE", `/sessions/${sessionId}`, stranger.token);
    expect(response.status).toBe(404);
    expect(await stage.api.sql`select 1 from chat_sessions where id = ${sessionId}`).toHaveLength(
      1,
    );
    socket.close();
    stranger.socket.close();
  });
});
