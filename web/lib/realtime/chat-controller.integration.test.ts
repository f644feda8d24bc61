/**
 * The chat page's logic without a browser, against the real api, agent, offline model and
 * database: a turn that changes the profile, a socket dropped mid-answer, and a tool call
 * waiting for the person's approval.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { TestApi } from "@trainer2/api/testing";
import { type ChatStack, startStack } from "@trainer2/testkit";
import { devMinter } from "../auth/dev-login";
import { ChatController, type ChatSnapshot } from "./chat-controller";

// These tests start real servers and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stack: ChatStack;
let api: TestApi;
const sockets: WebSocket[] = [];

/** Bun's own WebSocket, remembered so the test can drop a connection. */
class TrackedWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
}

beforeAll(async () => {
  stack = await startStack({ api: { devLogin: true }, agent: { offlineDelayMs: 5 } });
  api = stack.api;
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

function controllerFor(email: string, on: { api?: TestApi; sessionId?: string } = {}) {
  const mint = devMinter(api.keys.devLoginPrivateKey);
  const controller = new ChatController({
    apiUrl: (on.api ?? api).url,
    initialSessionId: on.sessionId ?? null,
    getToken: async () => (await mint({ name: "Test", email })).idToken,
    WebSocket: TrackedWebSocket as unknown as typeof WebSocket,
  });
  const until = (check: (s: ChatSnapshot) => boolean, what: string) =>
    new Promise<ChatSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 30_000);
      const test = () => {
        const snapshot = controller.getSnapshot();
        if (!check(snapshot)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(snapshot);
      };
      const unsubscribe = controller.subscribe(test);
      test();
    });
  return { controller, until };
}

async function storedMessages(sessionId: string) {
  const rows = await api.sql<{ seq: number; role: string; content: string; status: string }[]>`
    select seq, role, content, status from messages where session_id = ${sessionId} order by seq`;
  return rows.map((r) => [r.seq, r.role, r.content, r.status]);
}
const shownMessages = (s: ChatSnapshot) =>
  s.view.items.map((i) => [i.seq, i.role, i.content, i.status]);

describe("ChatController against the real api", () => {
  test("a turn streams, the profile follows, and a dropped socket loses nothing", async () => {
    const { controller, until } = controllerFor("controller@example.com");
    controller.start();
    try {
      await until((s) => s.status === "connected" && !s.loading, "connected and loaded");
      expect(controller.send("my goal is to run a 5k")).toBe(true);
      let s = await until((s) => s.state?.profile.goals === "to run a 5k", "the goal");
      s = await until((s) => s.view.items.at(-1)?.status === "complete", "the answer");
      expect(s.view.items.at(-1)?.tools.map((t) => t.status)).toEqual(["ok"]);
      const sessionId = s.view.sessionId!;
      expect(shownMessages(s)).toEqual(await storedMessages(sessionId));

      controller.send("tell me a long story");
      const partial = await until(
        (s) => (s.view.items.at(-1)?.content.length ?? 0) > 100,
        "part of the story",
      );
      expect(partial.view.items.at(-1)?.status).toBe("streaming");
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.close();
      await until((s) => s.status === "reconnecting", "reconnecting");
      s = await until(
        (s) => s.status === "connected" && s.view.items.at(-1)?.status === "complete",
        "the whole story after the reconnect",
      );
      expect(s.view.items.at(-1)?.content).toContain("Chapter 12.");
      expect(shownMessages(s)).toEqual(await storedMessages(sessionId));
    } finally {
      controller.stop();
    }
  });

  test("a card for a call waiting for approval; a decision made as the socket drops is sent once back", async () => {
    const email = "approver@example.com";
    const { controller, until } = controllerFor(email);
    controller.start();
    try {
      await until((s) => s.status === "connected" && !s.loading, "connected and loaded");
      controller.send("log a 30 minute run");
      const answered = (s: ChatSnapshot) =>
        s.view.items.at(-1)?.role === "assistant" && s.view.items.at(-1)?.status === "complete";
      await until(answered, "the workout logged");
      controller.send("delete my last workout");
      let s = await until((s) => s.view.approvals.length === 1, "the approval card");
      const card = s.view.approvals[0]!;
      expect(card.name).toBe("delete_workout");
      expect(card.summary).toMatch(/^Delete your 30 min run of \d{4}-\d{2}-\d{2}\.$/);
      expect(s.view.items.at(-1)?.status).toBe("awaiting_approval");
      // The trainer waits for the person: nothing else is sent meanwhile.
      expect(controller.send("hello?")).toBe(false);

      // The socket drops; the decision, made at that moment, waits and goes once reconnected.
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.close();
      controller.decide(card, "approve");
      expect(controller.getSnapshot().view.approvals[0]?.sent).toBe("approve");
      s = await until(
        (s) => s.status === "connected" && s.view.approvals.length === 0 && answered(s),
        "the answer going on after the decision",
      );
      expect(s.view.items.at(-1)?.content).toContain("Done: I deleted your 30 min run");
      expect(shownMessages(s)).toEqual(await storedMessages(s.view.sessionId!));
      const left = await api.sql`
        select 1 from workouts w join users u on u.id = w.user_id where u.email = ${email}`;
      expect(left).toHaveLength(0);
      const [audit] = await api.sql`select status from tool_approvals where run_id = ${card.runId}`;
      expect(audit).toEqual({ status: "approved" });
    } finally {
      controller.stop();
    }
  });

  test("an account deleted in one tab stops the other tab's socket for good (4410)", async () => {
    const email = "two-tabs@example.com";
    const first = controllerFor(email);
    const second = controllerFor(email);
    first.controller.start();
    second.controller.start();
    try {
      for (const tab of [first, second])
        await tab.until((s) => s.status === "connected" && !s.loading, "connected and loaded");
      expect(first.controller.send("my goal is to run a 5k")).toBe(true);
      const answered = (s: ChatSnapshot) =>
        s.view.items.at(-1)?.role === "assistant" && s.view.items.at(-1)?.status === "complete";
      await first.until(answered, "the answer");
      const file = await first.controller.downloadData();
      expect(file.user.email).toBe(email);
      expect(file.sessions).toHaveLength(1);
      await first.controller.deleteAccount(email);
      await second.until((s) => s.status === "account-deleted", "the other tab told");
      const [left] = await api.sql`select count(*)::int as n from users where email = ${email}`;
      expect(left).toEqual({ n: 0 });
    } finally {
      first.controller.stop();
      second.controller.stop();
    }
  });

  test("a burst of words is painted a frame at a time, not once per word", async () => {
    const { controller, until } = controllerFor("burst@example.com");
    const holds = stack.agent.model.offlineHolds!;
    controller.start();
    try {
      await until((s) => s.status === "connected" && !s.loading, "connected and loaded");
      // Held after 5 words, then released: the other 500-odd words arrive at once.
      holds.arm({ afterWords: 5 });
      expect(controller.send("tell me a long story")).toBe(true);
      await holds.whenHeld();
      let paints = 0;
      const unsubscribe = controller.subscribe(() => paints++);
      holds.release();
      const s = await until((s) => s.view.items.at(-1)?.status === "complete", "the answer");
      unsubscribe();
      const words = s.view.items.at(-1)!.content.split(/\s+/).length;
      expect(words).toBeGreaterThan(400);
      // One paint per word would be `words`; a frame's worth each is a handful.
      expect(paints).toBeLessThan(words / 4);
      expect(shownMessages(s)).toEqual(await storedMessages(s.view.sessionId!));
    } finally {
      controller.stop();
    }
  });

  test("a resume refused as rate_limited is sent again when allowed; nothing is left stale", async () => {
    const email = "rate-limited-resume@example.com";
    const writer = controllerFor(email);
    writer.controller.start();
    // A second api on the same database with a small person limit, refilled at 1 a second.
    const strict = await stack.startApi({
      devLogin: true,
      personLimits: { perSecond: 1, burst: 12 },
    });
    try {
      await writer.until((s) => s.status === "connected" && !s.loading, "writer connected");
      expect(writer.controller.send("my goal is to run a 5k")).toBe(true);
      const answered = (n: number) => (s: ChatSnapshot) =>
        s.view.items.length === n && s.view.items.at(-1)?.status === "complete";
      const first = await writer.until(answered(2), "the first answer");
      const sessionId = first.view.sessionId!;

      const reader = controllerFor(email, { api: strict, sessionId });
      reader.controller.start();
      try {
        await reader.until(answered(2), "the reader caught up");
        // Spend the person's bucket on that api (GET /state costs 1) until it refuses.
        const { idToken } = await devMinter(api.keys.devLoginPrivateKey)({ name: "Test", email });
        let status = 200;
        for (let reads = 0; status !== 429 && reads < 20; reads++)
          status = (
            await fetch(`${strict.url}/state`, { headers: { authorization: `Bearer ${idToken}` } })
          ).status;
        expect(status).toBe(429);
        // Its resume after a drop is refused: it misses the next answer unless it asks again.
        for (const socket of sockets)
          if (socket.url.includes(`:${new URL(strict.url).port}/`)) socket.close();
        await reader.until((s) => s.notice?.code === "rate_limited", "the resume refused");
        expect(writer.controller.send("make me a plan")).toBe(true);
        await writer.until(answered(4), "the second answer");
        const caughtUp = await reader.until(answered(4), "the reader shows the second answer");
        expect(shownMessages(caughtUp)).toEqual(await storedMessages(sessionId));
      } finally {
        reader.controller.stop();
      }
    } finally {
      writer.controller.stop();
      await strict.close();
    }
  });
});
