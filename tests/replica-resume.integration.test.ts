/**
 * A person's browser reconnecting, again and again, to whichever api process nginx picks,
 * in the middle of a long answer written by one of them: each time it resumes, and what it
 * pieces together by seq and offset (as the web client does) ends as the full answer, with
 * no gap and nothing twice.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { answer, manual } from "@trainer2/api/testing/agent-double";
import type { ServerEvent } from "@trainer2/shared/wire";
import { type Replicas, startReplicas } from "@trainer2/testkit/replicas";

setDefaultTimeout(120_000);

let r: Replicas;
beforeAll(async () => {
  // Checkpoints at their default pace: the text after the last one comes from the owner. A
  // hundred resumes in seconds is what the per-person limit exists to refuse (resume-flood and
  // shared-rate-limits test that); here it is lifted, as the bench does, to test the resume.
  r = await startReplicas({
    count: 2,
    env: {
      STREAM_CHECKPOINT_MS: "250",
      RATE_LIMIT_PER_SECOND: "1000000",
      RATE_LIMIT_BURST: "10000000",
    },
  });
});
afterAll(async () => {
  await r?.close();
});

/** The answer as a client holds it; every event must agree with what it has. */
class Assembled {
  content = "";
  /** Set by the stored final answer (a `message` with status complete), which has it all. */
  complete = false;
  conflicts: string[] = [];

  constructor(private readonly seq: number) {}

  apply(event: ServerEvent): void {
    if (event.type === "message" && event.message.seq === this.seq) {
      const { content, status } = event.message;
      if (!content.startsWith(this.content) && !this.content.startsWith(content))
        this.conflicts.push(`message disagrees at ${this.content.length}`);
      if (content.length > this.content.length) this.content = content;
      if (status === "complete") this.complete = true;
    }
    if (event.type === "delta" && event.seq === this.seq) {
      // Text beyond a gap is dropped; the next catch-up fills it (as chat-state's appendAt).
      if (event.offset > this.content.length) return;
      const overlap = this.content.slice(event.offset, event.offset + event.text.length);
      if (!event.text.startsWith(overlap))
        this.conflicts.push(`delta disagrees at ${event.offset}`);
      this.content += event.text.slice(this.content.length - event.offset);
    }
  }
}

test("100 reconnects to either process at random points end with the full text", async () => {
  const email = `${crypto.randomUUID()}@resume.test`;
  r.agent.setScript(answer("Hi!"));
  const first = await r.connect(email, r.apis[0]);
  first.send({ type: "chat", text: "hello", clientMsgId: "hello" });
  const { sessionId } = await first.next("message");
  await first.next("run.completed");

  r.agent.setScript(manual);
  first.send({ type: "chat", sessionId, text: "a long answer", clientMsgId: "long" });
  const { message: asked } = await first.next("message");
  const started = await first.next("run.started");
  first.close();
  const run = await r.agent.nextRun();
  const words = Array.from({ length: 1000 }, (_, i) => `word${i} `);
  const full = words.join("");
  let sent = "";
  // The model streams for a few seconds while the browser comes and goes.
  const streaming = (async () => {
    for (const word of words) {
      run.send({ type: "delta", text: word });
      sent += word;
      await Bun.sleep(8);
    }
    run.send({ type: "completed", output: full, items: [] });
    run.end();
  })();

  const held = new Assembled(started.seq);
  for (let i = 0; i < 100; i++) {
    // Each resume brings the client at least to where the answer was when it reconnected:
    // a gap would leave it short, and the wait below would run out.
    const target = sent.length;
    const socket = await r.connect(email);
    socket.send({ type: "resume", sessionId, afterSeq: asked.seq });
    while (held.content.length < target) held.apply(await socket.next());
    // Then it stays a random moment, taking live deltas, and drops again.
    await Bun.sleep(Math.random() * 20);
    for (const event of socket.events.slice(socket.taken().length)) held.apply(event);
    socket.close();
    // Offline for a moment while the answer goes on: the next resume must bring that part.
    await Bun.sleep(Math.random() * 60);
  }
  await streaming;

  const last = await r.connect(email);
  last.send({ type: "resume", sessionId, afterSeq: asked.seq });
  while (!held.complete) held.apply(await last.next());
  last.close();

  expect(held.conflicts).toEqual([]);
  expect(held.content).toBe(full);
  const [row] = await r.stack.database.sql`select content, status from messages
    where session_id = ${sessionId} and seq = ${started.seq}`;
  expect(row).toEqual({ content: full, status: "complete" });
});
