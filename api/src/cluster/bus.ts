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
import type { FailureCode } from "@trainer2/shared/failures";
import type { ServerEvent } from "@trainer2/shared/wire";

export type BusMessage =
  /** Events of session `s` (of user `u`), for the processes in `to` that follow it. */
  | { t: "events"; s: string; u: string; e: ServerEvent[]; to: string[] }
  /** The sender's sockets follow (or no longer follow) these sessions. */
  | { t: "follow"; s: string[] }
  | { t: "unfollow"; s: string[] }
  /** The sender (re)joined: tell it what you follow. */
  | { t: "hello" }
  /** Whoever writes an answer in session `s` (or just did): send the sender where it is. */
  | { t: "catchup"; s: string }
  /** Stop run `r` of user `u` (a Stop pressed on a socket of another process). */
  | { t: "cancel"; r: string; u: string }
  /** User `u`'s data changed (a tool wrote): their sockets get a fresh `state`. */
  | { t: "state"; u: string; s?: string }
  /** Close every socket of user `u`, saying why (`c`, e.g. their account was deleted). */
  | { t: "close"; u: string; c: FailureCode };

/** A message as received: with the id of the process that sent it. */
export type Envelope = BusMessage & { p: string };

export type BusStats = {
  /** Messages handed to `send`. */
  sent: number;
  /** Transport units used for them (NOTIFYs for Postgres). */
  notifications: number;
  received: number;
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
    return { sent: this.#sent, notifications: 0, received: 0 };
  }
}
