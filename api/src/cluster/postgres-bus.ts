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
 *
 * What arrives is input from outside: any database login may NOTIFY on the channel. Every
 * payload is signed (bus-seal.ts) and every message parsed with the schemas in
 * `@trainer2/shared/bus` before anything acts on it; what fails is dropped and counted
 * (`bus_messages_dropped_total` by reason), never thrown in the listen callback.
 */
import type { Sql } from "@trainer2/db";
import {
  type BusBatch,
  type BusDropReason,
  type BusPart,
  busMessage,
  busPayload,
} from "@trainer2/shared/bus";
import type { Logger } from "@trainer2/shared/logger";
import type { Bus, BusMessage, BusStats, Envelope } from "./bus.ts";
import { PartAssembler } from "./bus-parts.ts";
import { ReplayGuard, seal, unseal } from "./bus-seal.ts";

export const busChannel = "trainer2_bus";
/** NOTIFY refuses payloads of 8000 bytes or more; keep a margin for the wrapper and signature. */
const maxPayloadBytes = 7700;

export type PostgresBusOptions = {
  /** The HMAC key every api process shares (`busKeyFrom(API_PRIVATE_KEY)`). */
  key: Buffer;
  processId?: string;
};

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

export class PostgresBus implements Bus {
  readonly shared = true;
  #queue: BusMessage[] = [];
  #flushing: Promise<void> | undefined;
  #counter = 0;
  #handlers: ((message: Envelope) => void)[] = [];
  #reconnectHandlers: (() => void)[] = [];
  #parts = new PartAssembler();
  #replays = new ReplayGuard();
  #listening = false;
  #failing = false;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;
  #stats: BusStats = {
    sent: 0,
    notifications: 0,
    received: 0,
    dropped: { unauthenticated: 0, invalid: 0, stale: 0, parts: 0 },
  };
  readonly #key: Buffer;
  readonly processId: string;

  constructor(
    private readonly sql: Sql,
    private readonly logger: Logger,
    options: PostgresBusOptions,
  ) {
    this.#key = options.key;
    this.processId = options.processId ?? crypto.randomUUID();
  }

  async start(): Promise<void> {
    const subscription = await this.sql.listen(
      busChannel,
      (payload) => this.#receiveSafely(payload),
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
    const dropped = { ...this.#stats.dropped };
    dropped.parts += this.#parts.expired;
    return { ...this.#stats, dropped };
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
      payloads.push(this.#seal({ ...this.#header(), b: batch } satisfies BusBatch));
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
      this.#seal({
        ...this.#header(),
        c: id,
        i,
        k: count,
        d: json.slice(i * size, (i + 1) * size),
      } satisfies BusPart),
    );
  }

  #next(): number {
    this.#counter += 1;
    return this.#counter;
  }

  /** Who sent a payload, its number (in the order sent) and when: what replays are judged by. */
  #header() {
    return { p: this.processId, n: this.#next(), at: Date.now() };
  }

  #seal(body: BusBatch | BusPart): string {
    return seal(this.#key, JSON.stringify(body));
  }

  /** The listen callback: whatever arrives, nothing is thrown into postgres.js. */
  #receiveSafely(payload: string): void {
    try {
      const reason = this.#receive(payload);
      if (reason) this.#stats.dropped[reason] += 1;
    } catch (error) {
      this.#stats.dropped.invalid += 1;
      this.logger.warn("bus: a payload could not be read", { error });
    }
  }

  /** Acts on one payload; says why when it is dropped. */
  #receive(payload: string): BusDropReason | undefined {
    const body = unseal(this.#key, payload);
    if (body === undefined) return "unauthenticated";
    const parsed = busPayload.safeParse(parseJson(body));
    if (!parsed.success) return "invalid";
    const envelope = parsed.data;
    if (envelope.p === this.processId) return undefined;
    if (!this.#replays.accept(envelope.p, envelope.n, envelope.at)) return "stale";
    if ("b" in envelope) {
      let invalid = 0;
      for (const raw of envelope.b) if (!this.#deliverRaw(raw, envelope.p)) invalid += 1;
      this.#stats.dropped.invalid += invalid;
      return undefined;
    }
    const outcome = this.#parts.add(envelope);
    if ("dropped" in outcome) return "parts";
    if ("done" in outcome && !this.#deliverRaw(parseJson(outcome.done), envelope.p))
      return "invalid";
    return undefined;
  }

  /** Delivers `raw` if it is a known message; false if it is not. */
  #deliverRaw(raw: unknown, sender: string): boolean {
    const message = busMessage.safeParse(raw);
    if (!message.success) return false;
    this.#deliver({ ...message.data, p: sender });
    return true;
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

/** JSON.parse that answers undefined (refused by every schema) instead of throwing. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
