/**
 * What api processes tell each other, behind one interface. The database is the source of
 * truth (messages, checkpoints, who owns which run); the bus only carries what must arrive
 * at once: the events of a session to the processes whose sockets follow it, who follows
 * what, a Stop pressed on another process, and "this user's data changed".
 *
 * Two transports: `InProcessBus` (one api process: nothing leaves it; the default on the
 * embedded database, whose NOTIFY does not cross connections) and `PostgresBus`
 * (LISTEN/NOTIFY, postgres-bus.ts). A larger deployment can put Redis or NATS behind the same
 * interface: messages are small JSON values, sent in order per sender, and a receiver
 * re-reads the database after `onReconnect` (see README: Scaling).
 */
import type { BusDropReason, BusMessage } from "@trainer2/shared/bus";

/** The messages, as zod schemas (what a receiver parses them with): `@trainer2/shared/bus`. */
export type { BusMessage } from "@trainer2/shared/bus";

/** A message as received: with the id of the process that sent it. */
export type Envelope = BusMessage & { p: string };

export type BusStats = {
  /** Messages handed to `send`. */
  sent: number;
  /** Transport units used for them (NOTIFYs for Postgres). */
  notifications: number;
  received: number;
  /** Payloads and messages received but dropped, by why (see `busDropReasons`). */
  dropped: Record<BusDropReason, number>;
};

export interface Bus {
  /** This process's id: the sender of what it sends, the owner of the runs it writes. */
  readonly processId: string;
  /** False when no other process can hear it (one api process). */
  readonly shared: boolean;
  /** Queues `message` for the other processes; order per sender is kept. */
  send(message: BusMessage): void;
  onMessage(handler: (message: Envelope) => void): void;
  /** The link came back after a loss: messages may have been missed, re-read what matters. */
  onReconnect(handler: () => void): void;
  start(): Promise<void>;
  close(): Promise<void>;
  stats(): BusStats;
}

/** One api process: every socket is here, so nothing needs to travel. */
export class InProcessBus implements Bus {
  readonly shared = false;
  #sent = 0;

  constructor(readonly processId: string = crypto.randomUUID()) {}

  send(): void {
    this.#sent += 1;
  }
  onMessage(): void {}
  onReconnect(): void {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): BusStats {
    return {
      sent: this.#sent,
      notifications: 0,
      received: 0,
      dropped: { unauthenticated: 0, invalid: 0, stale: 0, parts: 0 },
    };
  }
}
