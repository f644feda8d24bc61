/**
 * End to end through the real api (startTestApi: real server on 127.0.0.1, real database):
 * after update_profile over HTTP, the user's open socket receives a `state` event that
 * already carries the new profile. Another user's socket gets nothing.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type ServerEvent, serverEvent } from "@trainer2/shared/wire";
import { startTestApi, type TestApi } from "../testing/index.ts";
import { callToolAsAgent, storeStreamingRun } from "../testing/tool-call.ts";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

/** A socket that collects parsed events and can wait for the first one matching. */
async function openSocket(subject: string) {
  const token = await api.identity.mintIdToken({ sub: subject, name: subject });
  const socket = new WebSocket(`${api.wsUrl}?token=${encodeURIComponent(token)}`);
  const events: ServerEvent[] = [];
  const waiters: { match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];
  socket.addEventListener("message", (message) => {
    const event = serverEvent.parse(JSON.parse(String(message.data)));
    events.push(event);
    for (const waiter of waiters.filter((w) => w.match(event))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  });
  const next = (match: (e: ServerEvent) => boolean) =>
    new Promise<ServerEvent>((resolve) => {
      const seen = events.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  const ready = await next((e) => e.type === "ready");
  if (ready.type !== "ready") throw new Error("expected ready");
  return { socket, events, next, userId: ready.user.id };
}

describe("state event after a tool changes data", () => {
  test("update_profile reaches the user's open socket with the new profile", async () => {
    const alice = await openSocket("alice");
    const bob = await openSocket("bob");
    try {
      const [session] = await api.sql<{ id: string }[]>`
        insert into chat_sessions (user_id, title) values (${alice.userId}, 'plan') returning id`;
      const run = { userId: alice.userId, sessionId: session!.id, runId: crypto.randomUUID() };
      await storeStreamingRun(api.sql, run);

      const stateEvent = alice.next(
        (e) => e.type === "state" && e.state.profile.goals === "swim a mile",
      );
      const response = await callToolAsAgent({
        apiUrl: api.url,
        keys: api.keys,
        run,
        tool: "update_profile",
        callId: "call_1",
        args: {
          displayName: null,
          goals: "swim a mile",
          experienceLevel: "intermediate",
          equipment: null,
          limitations: null,
          units: null,
        },
      });
      expect(response.status).toBe(200);
      const event = await stateEvent;
      if (event.type !== "state") throw new Error("expected state");
      expect(event.state.user.id).toBe(alice.userId);
      expect(event.state.profile).toMatchObject({
        goals: "swim a mile",
        experienceLevel: "intermediate",
      });

      // Bob's socket is still open and answering, and saw no state of Alice's.
      bob.socket.send(JSON.stringify({ type: "ping" }));
      await bob.next((e) => e.type === "pong");
      expect(bob.events.filter((e) => e.type === "state")).toEqual([]);
    } finally {
      alice.socket.close();
      bob.socket.close();
    }
  });
});
