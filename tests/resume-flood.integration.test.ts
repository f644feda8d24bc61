/**
 * A flood of `resume` frames from one person (every socket they may open, each at the frame
 * rate a socket is allowed, each resuming a long session from the start) leaves another
 * person's `GET /state` p99 within 2x of its idle value, on a real api process and Postgres.
 * Measured here and asserted loosely (the machine is shared); the bench reports it too.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { importPrivateKey, signDevIdToken } from "@trainer2/shared/tokens";
import { createStack, type Service, type Stack } from "@trainer2/testkit";
import { realPostgresServer } from "@trainer2/testkit/postgres-cluster";

setDefaultTimeout(120_000);

let server: { url: string; close(): Promise<void> };
let stack: Stack;
let api: Service;

beforeAll(async () => {
  server = await realPostgresServer();
  stack = await createStack({
    database: { kind: "fresh", serverUrl: server.url, migrateInPlace: true },
  });
  // The default refill (20 units/s) with a burst that lets the calm person's 650 timed reads
  // through. The flooder gets the same: a resume of its 400 messages costs 25, so 40 at once,
  // then less than one a second; a flat 5 let 200 through at once.
  api = await stack.startApiProcess({ env: { RATE_LIMIT_BURST: "1000" } });
});
afterAll(async () => {
  await stack?.close();
  await server?.close();
});

async function tokenFor(email: string) {
  const key = await importPrivateKey(stack.keys.devLoginPrivateKey);
  return (await signDevIdToken({ email, name: "Casey" }, key)).idToken;
}

/** A session of `email` with `count` stored messages; the person is created by a /state. */
async function sessionOf(token: string, count: number): Promise<string> {
  const state = (await (
    await fetch(`${api.url}/state`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { user: { id: string } };
  const userId = state.user.id;
  const [session] = await stack.database.sql<{ id: string }[]>`
    insert into chat_sessions (user_id, title, last_seq) values (${userId}, 'long', ${count})
    returning id`;
  await stack.database.sql`
    insert into messages (session_id, user_id, seq, role, content)
    select ${session!.id}, ${userId}, n, case when n % 2 = 1 then 'user' else 'assistant' end,
           repeat('a sentence of a long answer. ', 20)
    from generate_series(1, ${count}) as n`;
  return session!.id;
}

const p99 = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.99)]!;

async function timeStates(url: string, token: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`/state answered ${response.status}`);
    samples.push(performance.now() - startedAt);
  }
  return samples;
}

describe("a resume flood and another person's /state", () => {
  test("p99 during the flood stays within 2x of idle (loosely)", async () => {
    const flooder = await tokenFor("flood@example.com");
    const calm = await tokenFor("calm@example.com");
    const floodSession = await sessionOf(flooder, 400);
    const calmSession = await sessionOf(calm, 40);
    const stateUrl = `${api.url}/state?sessionId=${calmSession}`;
    await timeStates(stateUrl, calm, 50); // warm-up: JIT, the state cache, connections
    const idle = await timeStates(stateUrl, calm, 300);

    // Every socket one person may hold (REALTIME_MAX_SOCKETS_PER_USER, 20), each sending
    // resumes from the start just under its frame limit (10/s), for as long as /state is timed;
    // from a process of its own, so receiving the flood does not slow this one's timing.
    const wsUrl = `${api.url.replace(/^http/, "ws")}/realtime?token=${flooder}`;
    const flood = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "resume-flood-client.ts"),
        wsUrl,
        floodSession,
        "20",
        "110",
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const reader = (flood.stdout as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let said = "";
    /** More of what the flood client printed; false once it has ended. */
    const readMore = async () => {
      const { value, done } = await reader.read();
      if (!done) said += decoder.decode(value, { stream: true });
      return !done;
    };
    while (!said.includes("flooding\n"))
      if (!(await readMore())) throw new Error(`the flood client ended: ${said}`);
    let during: number[];
    try {
      during = await timeStates(stateUrl, calm, 300);
    } finally {
      flood.kill("SIGTERM");
    }
    while (await readMore());
    const counts = JSON.parse(said.slice(said.indexOf("flooding\n") + 9).trim()) as {
      messages: number;
      refused: number;
    };
    const ratio = p99(during) / p99(idle);
    console.log(
      `/state p99 of another person: idle ${p99(idle).toFixed(1)} ms, during a resume flood ` +
        `${p99(during).toFixed(1)} ms (${ratio.toFixed(1)}x); ` +
        `resume frames refused ${counts.refused}, messages resent ${counts.messages}`,
    );
    expect(counts.refused).toBeGreaterThan(0);
    // The goal is 2x; asserted loosely (3x + 20 ms), since this machine is shared and a p99 of
    // 300 reads moves with its load. Without the per-person resume gate and the replay's cost
    // it measured 24.8x (352 ms against 14 ms idle).
    expect(p99(during)).toBeLessThanOrEqual(3 * p99(idle) + 20);
  });
});
