/**
 * One signed-in chat over the api's WebSocket, for the cross-service tests: the server
 * events in order, each checked against the contract, and a turn read up to its end.
 */
import type { TestApi } from "@trainer2/api/testing";
import { type ServerEvent, serverEvent } from "@trainer2/shared/wire";

/** A signed-in socket whose server events are read in order, each checked against the contract. */
export async function openChat(api: Pick<TestApi, "wsUrl" | "identity">) {
  const email = `${crypto.randomUUID()}@example.com`;
  const idToken = await api.identity.mintIdToken({ email, sub: email });
  const socket = new WebSocket(`${api.wsUrl}?token=${idToken}`);
  const queue: ServerEvent[] = [];
  let wake: (() => void) | undefined;
  socket.addEventListener("message", (message) => {
    queue.push(serverEvent.parse(JSON.parse(String(message.data))));
    wake?.();
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });

  async function next(timeoutMs = 20_000): Promise<ServerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = queue.shift();
      if (event) return event;
      if (Date.now() > deadline) throw new Error(`no server event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  /**
   * Sends one chat message and returns every event up to and including the run's end: its
   * run.completed / run.failed, the approval.requested it paused on (the person decides), or
   * the error that refused the frame. Without `sessionId` the message starts a new session;
   * with it, it continues that conversation.
   */
  async function turn(text: string, sessionId?: string): Promise<ServerEvent[]> {
    const frame = { type: "chat", text, clientMsgId: crypto.randomUUID(), sessionId };
    socket.send(JSON.stringify(frame));
    const events: ServerEvent[] = [];
    for (;;) {
      const event = await next();
      events.push(event);
      if (event.type === "run.completed" || event.type === "run.failed") return events;
      if (event.type === "approval.requested") return events;
      if (event.type === "error" && event.clientMsgId === frame.clientMsgId) return events;
    }
  }

  const ready = await next();
  if (ready.type !== "ready") throw new Error(`expected ready, got ${ready.type}`);
  return { idToken, ready, turn, close: () => socket.close() };
}
