/**
 * Test helper: a /realtime client that records every event and lets a test read them in
 * order. Waits fail after a generous deadline instead of hanging; they never assert timing.
 */
import { type ClientFrame, type ServerEvent, serverEvent } from "@trainer2/shared/wire";

const deadlineMs = 15_000;

export type TestSocket = {
  /** Every event received so far, in order. */
  events: ServerEvent[];
  /** The next event not yet taken (optionally of `type`, skipping others). */
  next<T extends ServerEvent["type"]>(type?: T): Promise<Extract<ServerEvent, { type: T }>>;
  /** Events taken so far by `next`. */
  taken(): ServerEvent[];
  send(frame: ClientFrame | string): void;
  /** Sends a ping and resolves with every event received before its pong. */
  drain(): Promise<ServerEvent[]>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
};

export async function openSocket(url: string, options: { waitOpen?: boolean } = {}) {
  const ws = new WebSocket(url);
  const events: ServerEvent[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  let closedInfo: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (event) => {
      closedInfo = { code: event.code, reason: event.reason };
      resolve(closedInfo);
      wake?.();
    });
  });
  ws.addEventListener("message", (event) => {
    events.push(serverEvent.parse(JSON.parse(String(event.data))));
    wake?.();
  });
  const waitForChange = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no event before the deadline")), deadlineMs);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const socket: TestSocket = {
    events,
    async next(type) {
      for (;;) {
        while (cursor < events.length) {
          const event = events[cursor++]!;
          if (!type || event.type === type) return event as never;
        }
        if (closedInfo)
          throw new Error(`socket closed (${closedInfo.code} ${closedInfo.reason}) while waiting`);
        await waitForChange();
      }
    },
    taken: () => events.slice(0, cursor),
    send(frame) {
      ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    },
    async drain() {
      const start = cursor;
      socket.send({ type: "ping" });
      await socket.next("pong");
      return events.slice(start, cursor - 1).filter((event) => event.type !== "pong");
    },
    closed,
    close: () => ws.close(),
  };
  if (options.waitOpen ?? true)
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("socket failed to open")), {
        once: true,
      });
    });
  return socket;
}
