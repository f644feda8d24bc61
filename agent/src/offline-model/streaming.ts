/**
 * Server-sent events for the offline model, paced word by word. A client that goes away
 * stops the producer (and is counted, so tests can prove an abort reached the upstream).
 */

export type Emit = (event: string | undefined, data: unknown) => Promise<void>;

export type StreamHooks = { onAbort: () => void };

/** Splits text into words that keep their trailing space, so deltas concatenate exactly. */
export function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function sseResponse(
  signal: AbortSignal,
  hooks: StreamHooks,
  produce: (emit: Emit, pause: () => Promise<void>) => Promise<void>,
  delayMs: number,
): Response {
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
      const pause = async () => {
        if (delayMs > 0) await Bun.sleep(delayMs);
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
