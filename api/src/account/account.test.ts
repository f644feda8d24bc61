import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { accountExportDto } from "@trainer2/shared/account-data";
import { errorBody } from "@trainer2/shared/errors";
import { closeCodes } from "@trainer2/shared/failures";
import { stateDto } from "@trainer2/shared/wire";
import { answer, manual } from "../testing/agent-double.ts";
import { badTokens } from "../testing/bad-tokens.ts";
import { type RealtimeStage, startRealtimeStage } from "../testing/realtime.ts";
import { confirmationWithoutEmail } from "./routes.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stage: RealtimeStage;

beforeAll(async () => {
  stage = await startRealtimeStage();
});
afterAll(() => stage.close());

const call: RealtimeStage["call"] = (...args) => stage.call(...args);

const errorOf = async (response: Response) => errorBody.parse(await response.json()).error;

/** A user with one answered chat, whose socket follows it. */
async function userWithChat(who?: string) {
  const signed = await stage.signedIn(who);
  stage.agent.setScript(answer("noted"));
  signed.socket.send({ type: "chat", text: "my goal is a 5k", clientMsgId: "goal" });
  const { sessionId } = await signed.socket.next("message");
  await signed.socket.next("run.completed");
  return { ...signed, sessionId };
}

describe("the account routes refuse every bad token", () => {
  test("GET /account/export and DELETE /account: 401 for each, and nothing is deleted", async () => {
    const { socket, email, ready } = await userWithChat();
    const wrong = [];
    for (const { name, token, reason } of [
      { name: "none", token: "", reason: "Bearer" },
      ...(await badTokens(stage.api)),
    ])
      for (const [method, path, body] of [
        ["GET", "/account/export", undefined],
        ["DELETE", "/account", { email }],
      ] as const) {
        const response = await call(method, path, token || null, body);
        const error = await errorOf(response);
        if (response.status !== 401 || !error.message.includes(reason))
          wrong.push({ name, method, status: response.status, error });
      }
    expect(wrong).toEqual([]);
    expect(await stage.api.sql`select 1 from users where id = ${ready.user.id}`).toHaveLength(1);
    socket.close();
  });
});

describe("download my data", () => {
  test("one JSON file in its schema, with the user's chats, and no one else's", async () => {
    const { socket, token, sessionId, ready } = await userWithChat();
    const other = await userWithChat();
    const response = await call("GET", "/account/export", token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="trainer2-data-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    const file = accountExportDto.parse(await response.json());
    expect(file.user.id).toBe(ready.user.id);
    expect(file.sessions.map((s) => s.id)).toEqual([sessionId]);
    expect(file.sessions[0]!.messages.map((m) => m.content)).toEqual(["my goal is a 5k", "noted"]);
    expect(JSON.stringify(file)).not.toContain(other.sessionId);
    socket.close();
    other.socket.close();
  });
});

describe("delete my account", () => {
  test("needs the account's email typed again; anything else deletes nothing", async () => {
    const { socket, token, ready } = await userWithChat();
    for (const body of [{ email: "someone@else.com" }, {}, { email: "" }]) {
      const response = await call("DELETE", "/account", token, body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).message).toContain("email");
    }
    expect(await stage.api.sql`select 1 from users where id = ${ready.user.id}`).toHaveLength(1);
    socket.close();
  });

  test("deletes every row of the user, closes their sockets (4410), and a new sign-in starts fresh", async () => {
    const { socket, token, email, ready } = await userWithChat();
    const second = await stage.signedIn(email);
    const response = await call("DELETE", "/account", token, { email: email.toUpperCase() });
    expect(response.status).toBe(204);
    for (const closing of [socket, second.socket])
      expect((await closing.closed).code).toBe(closeCodes.accountDeleted);
    const counts = await stage.api.sql<{ n: number }[]>`
      select (select count(*) from users where id = ${ready.user.id})
        + (select count(*) from profiles where user_id = ${ready.user.id})
        + (select count(*) from chat_sessions where user_id = ${ready.user.id})
        + (select count(*) from messages where user_id = ${ready.user.id})
        + (select count(*) from tool_calls where user_id = ${ready.user.id})
        + (select count(*) from workouts where user_id = ${ready.user.id}) as n`;
    expect(Number(counts[0]!.n)).toBe(0);
    const fresh = stateDto.parse(
      await (
        await fetch(`${stage.api.url}/state`, { headers: { authorization: `Bearer ${token}` } })
      ).json(),
    );
    expect(fresh.user.id).not.toBe(ready.user.id);
    expect([fresh.sessions, fresh.workouts, fresh.profile.goals]).toEqual([[], [], null]);
  });

  test("refused as busy while an answer is being written for the user", async () => {
    const { socket, token, email, sessionId } = await userWithChat();
    stage.agent.setScript(manual);
    socket.send({ type: "chat", sessionId, text: "keep talking", clientMsgId: "talk" });
    await socket.next("run.started");
    const run = await stage.agent.nextRun();
    const refused = await call("DELETE", "/account", token, { email });
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).code).toBe("busy");
    answer("done")(run);
    await socket.next("run.completed");
    expect((await call("DELETE", "/account", token, { email })).status).toBe(204);
  });

  test("an account without an email is confirmed by typing the words", async () => {
    const token = await stage.api.identity.mintIdToken({ sub: "no-email", email: null });
    await call("GET", "/state", token);
    const wrong = await call("DELETE", "/account", token, { email: "no-email" });
    expect((await errorOf(wrong)).message).toContain(confirmationWithoutEmail);
    expect(
      (await call("DELETE", "/account", token, { email: confirmationWithoutEmail })).status,
    ).toBe(204);
  });
});
