/**
 * The bus on Postgres LISTEN/NOTIFY: no new infrastructure. One channel; every payload says
 * who sent it. Sending is one statement at a time, so a sender's notifications commit (and
 * arrive) in the order they were queued; whatever queued meanwhile goes out together in the
 * next statement, which coalesces a burst of deltas into few notifications. A payload may
 * hold 8000 bytes: messages are packed into batches below that, and a bigger one (a long
 * catch-up) is split into parts the receivers put together again.
 *
 * The listener is postgres.js's own connection, which reconnects with backoff and calls
 * `onlisten` again: that is where `onReconnect` handlers re-read what may have been missed.
 */
import type { Sql } from "@trainer2/db";
import type { Logger } from "@trainer2/shared/logger";
import type { Bus, BusMessage, BusStats, Envelope } from "./bus.ts";

export const busChannel = "trainer2_bus";
/** NOTIFY refuses payloads of 8000 bytes or more; keep a margin for the wrapper. */
const maxPayloadBytes = 7800;

type Batch = { p: string; n: number; b: BusMessage[] };
type Part = { p: string; n: number; c: string; i: number; k: number; d: string };

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

export class PostgresBus implements Bus {
  readonly shared = true;
  #queue: BusMessage[] = [];
  #flushing: Promise<void> | undefined;
  #counter = 0;
  #handlers: ((message: Envelope) => void)[] = [];
  #reconnectHandlers: (() => void)[] = [];
  #parts = new Map<string, string[]>();
  #listening = false;
  #failing = false;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;
  #stats: BusStats = { sent: 0, notifications: 0, received: 0 };

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    readonly processId: string = crypto.randomUUID(),
  ) {}

  async start(): Promise<void> {
    const subscription = await this.sql.listen(
      busChannel,
      (payload) => this.#receive(payload),
      () => {
        // Called on the first LISTEN and again after every reconnect. Parts of a message
        // cut by the lost link will never be completed: the handlers re-read instead.
        if (this.#listening) {
          this.#parts.clear();
          for (const handler of this.#reconnectHandlers) handler();
        }
        this.#listening = true;
      },
    );
    this.#unlisten = () => subscription.unlisten();
  }

  async close(): Promise<void> {
    await this.#flushing?.catch(() => {});
    if (this.#queue.length > 0) await this.#flush().catch(() => {});
    this.#closed = true;
    await this.#unlisten?.().catch(() => {});
  }

  send(message: BusMessage): void {
    if (this.#closed) return;
    this.#stats.sent += 1;
    this.#queue.push(message);
    this.#kick();
  }

  /** One statement in flight at a time: what queues meanwhile goes with the next. */
  #kick(): void {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      this.#kick();
    });
  }

  onMessage(handler: (message: Envelope) => void): void {
    this.#handlers.push(handler);
  }

  onReconnect(handler: () => void): void {
    this.#reconnectHandlers.push(handler);
  }

  /** Split messages of which some parts arrived and the rest have not (yet). */
  partialMessages(): number {
    return this.#parts.size;
  }

  stats(): BusStats {
    return { ...this.#stats };
  }

  /** Sends everything queued so far, in order, in one statement; errors are logged. */
  async #flush(): Promise<void> {
    // Let the rest of this tick queue too: a burst leaves as one statement.
    await Promise.resolve();
    const messages = this.#queue.splice(0);
    if (messages.length === 0) return;
    const payloads = this.#pack(messages);
    try {
      await this.sql`
        select pg_notify(${busChannel}, payload)
        from unnest(${payloads}::text[]) with ordinality as queued(payload, position)
        order by position`;
      this.#stats.notifications += payloads.length;
      this.#failing = false;
    } catch (error) {
      // The database is down: peers re-read it when their links come back. Said once.
      if (!this.#failing)
        this.logger.warn("bus: could not notify the other api processes", { error });
      this.#failing = true;
    }
  }

  /** Messages in order, packed into payloads under the limit (a big one split in parts). */
  #pack(messages: BusMessage[]): string[] {
    const payloads: string[] = [];
    let batch: BusMessage[] = [];
    let size = 0;
    const close = () => {
      if (batch.length === 0) return;
      payloads.push(
        JSON.stringify({ p: this.processId, n: this.#next(), b: batch } satisfies Batch),
      );
      batch = [];
      size = 0;
    };
    for (const message of messages) {
      const json = JSON.stringify(message);
      const length = bytes(json);
      if (length > maxPayloadBytes - 100) {
        close();
        payloads.push(...this.#split(json));
        continue;
      }
      if (size + length > maxPayloadBytes - 100) close();
      batch.push(message);
      size += length + 1;
    }
    close();
    return payloads;
  }

  #split(json: string): string[] {
    const id = `${this.processId}:${this.#next()}`;
    // Characters, not bytes: a part of 1800 characters is at most 7200 bytes of UTF-8.
    const size = 1800;
    const count = Math.ceil(json.length / size);
    return Array.from({ length: count }, (_, i) =>
      JSON.stringify({
        p: this.processId,
        n: this.#next(),
        c: id,
        i,
        k: count,
        d: json.slice(i * size, (i + 1) * size),
      } satisfies Part),
    );
  }

  #next(): number {
    this.#counter += 1;
    return this.#counter;
  }

  #receive(payload: string): void {
    let parsed: Batch | Part;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.p === this.processId) return;
    if ("b" in parsed) for (const message of parsed.b) this.#deliver({ ...message, p: parsed.p });
    else if ("c" in parsed) this.#collect(parsed);
  }

  #collect(part: Part): void {
    const parts = this.#parts.get(part.c) ?? [];
    parts[part.i] = part.d;
    this.#parts.set(part.c, parts);
    if (parts.filter((d) => d !== undefined).length < part.k) return;
    this.#parts.delete(part.c);
    try {
      this.#deliver({ ...(JSON.parse(parts.join("")) as BusMessage), p: part.p });
    } catch {
      // A message whose parts did not all arrive (a lost link): the reconnect re-reads.
    }
  }

  #deliver(message: Envelope): void {
    this.#stats.received += 1;
    for (const handler of this.#handlers) {
      try {
        handler(message);
      } catch (error) {
        this.logger.error("bus: a handler failed", { type: message.t, error });
      }
    }
  }
}
