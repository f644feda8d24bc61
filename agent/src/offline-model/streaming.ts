/**
 * Server-sent events for the offline model, paced word by word. A client that goes away
 * stops the producer (and is counted, so tests can prove an abort reached the upstream).
 */

export type Emit = (event: string | undefined, data: unknown) => Promise<void>;

export type StreamHooks = { onAbort: () => void };

/** How an answer is paced: a pause between words, and a held stop after some (holds.ts). */
export type Pacing = {
  delayMs: number;
  /** Stop after this many words until `wait` resolves (a test's held answer). */
  hold?: { afterWords: number; wait: (signal: AbortSignal) => Promise<void> };
};

/** Splits text into words that keep their trailing space, so deltas concatenate exactly. */
export function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function sseResponse(
  signal: AbortSignal,
  hooks: StreamHooks,
  produce: (emit: Emit, pause: () => Promise<void>) => Promise<void>,
  pacing: Pacing,
): Response {
  const { delayMs, hold } = pacing;
  let paused = 0;
  const encoder = new TextEncoder();
  let closed = false;
  const abort = () => {
    if (closed) return;
    closed = true;
    hooks.onAbort();
  };
  signal.addEventListener("abort", abort, { once: true });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const emit: Emit = async (event, data) => {
        if (closed) throw new Error("client went away");
        const head = event ? `event: ${event}\n` : "";
        const body = typeof data === "string" ? data : JSON.stringify(data);
        controller.enqueue(encoder.encode(`${head}data: ${body}\n\n`));
      };
      // Called before each word: the call after `afterWords` words is where a held answer waits.
      // Released, the rest of a held answer comes at once: the test has seen what it waited for.
      let released = false;
      const pause = async () => {
        paused++;
        if (hold && paused === hold.afterWords + 1) {
          await hold.wait(signal);
          released = true;
        }
        if (delayMs > 0 && !released) await Bun.sleep(delayMs);
        if (closed) throw new Error("client went away");
      };
      try {
        await produce(emit, pause);
        closed = true;
        controller.close();
      } catch {
        // The client left mid-stream: nothing more to send.
        try {
          controller.close();
        } catch {}
      }
    },
    cancel() {
      abort();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}
