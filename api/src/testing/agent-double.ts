/**
 * Test helper at the edge of the world: a scripted stand-in for the agent's `POST /run`
 * (NDJSON stream of runStreamEvent lines). It checks the run token the api signed, records
 * each request, and lets the test drive the stream: send events, hang, crash, or finish.
 */
import { importPublicKey, type RunClaims, verifyRunToken } from "@trainer2/shared/tokens";
import {
  type RunRequest,
  type RunStreamEvent,
  runRequest,
  type Usage,
} from "@trainer2/shared/wire";

export type RunIo = {
  request: RunRequest;
  send(event: RunStreamEvent): void;
  /** Ends the stream normally. */
  end(): void;
  /** Breaks the connection mid-stream, as a crashing process would. */
  crash(): void;
  /** Resolves when the api aborted the request (cancel, timeout). */
  aborted: Promise<void>;
};

export type AgentScript = (io: RunIo) => void | Promise<void>;

export type AgentDouble = {
  url: string;
  /** Each /run as it came: its body, the token's claims and the token itself. */
  requests: { body: RunRequest; claims: RunClaims; token: string }[];
  setScript(script: AgentScript): void;
  /** Resolves with the next /run request (since the last `setScript`). */
  nextRun(): Promise<RunIo>;
  close(): Promise<void>;
};

/** Streams `text` in the given pieces and completes with one assistant item. */
export const answer =
  (...pieces: string[]): AgentScript =>
  (io) => {
    for (const text of pieces) io.send({ type: "delta", text });
    io.send({
      type: "completed",
      output: pieces.join(""),
      items: [
        { role: "user", content: io.request.input },
        { role: "assistant", content: pieces.join("") },
      ],
    });
    io.end();
  };

/** As `answer`, reporting `usage` as the agent does: a running total, then the total at the end. */
export const answerUsing =
  (usage: Usage, ...pieces: string[]): AgentScript =>
  (io) => {
    io.send({ type: "usage", usage });
    for (const text of pieces) io.send({ type: "delta", text });
    const output = pieces.join("");
    io.send({
      type: "completed",
      output,
      items: [
        { role: "user", content: io.request.input },
        { role: "assistant", content: output },
      ],
      usage,
    });
    io.end();
  };

/** A script that does nothing: the test drives the run through `nextRun()`. */
export const manual: AgentScript = () => {};

export async function startAgentDouble(options: {
  apiPublicKey: string;
  script?: AgentScript;
  mode?: string;
}): Promise<AgentDouble> {
  const publicKey = await importPublicKey(options.apiPublicKey);
  let script = options.script ?? manual;
  const requests: AgentDouble["requests"] = [];
  const waiting: ((io: RunIo) => void)[] = [];
  const arrived: RunIo[] = [];
  const encoder = new TextEncoder();

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/health")
        return Response.json({ status: "ok", mode: options.mode ?? "offline" });
      if (path !== "/run" || request.method !== "POST") return new Response(null, { status: 404 });
      const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
      let claims: RunClaims;
      try {
        claims = await verifyRunToken(token ?? "", publicKey);
      } catch {
        return Response.json({ code: "unauthorized" }, { status: 401 });
      }
      const body = runRequest.parse(await request.json());
      requests.push({ body, claims, token: token ?? "" });
      let markAborted: () => void = () => {};
      const aborted = new Promise<void>((resolve) => {
        markAborted = resolve;
      });
      request.signal.addEventListener("abort", () => markAborted());
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      let open = true;
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
        cancel: () => {
          open = false;
          markAborted();
        },
      });
      const io: RunIo = {
        request: body,
        send(event) {
          if (open) controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        },
        end() {
          if (open) controller.close();
          open = false;
        },
        crash() {
          if (open) controller.error(new Error("agent crashed"));
          open = false;
        },
        aborted,
      };
      const waiter = waiting.shift();
      if (waiter) waiter(io);
      else arrived.push(io);
      void Promise.resolve(script(io)).catch(() => io.crash());
      return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    setScript(next) {
      script = next;
      arrived.length = 0;
    },
    nextRun() {
      const ready = arrived.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      await server.stop(true);
    },
  };
}
