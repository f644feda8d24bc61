/**
 * Puts messages split in parts back together, within bounds (shared/src/bus.ts
 * `busPartLimits`): a bounded number of unfinished messages, each for a bounded time, each
 * of a bounded number of parts. A part past a bound is dropped and so is its message: the
 * receivers re-read the database after a lost link, which is what a lost part amounts to.
 */
import { type BusPart, busPartLimits } from "@trainer2/shared/bus";

type Pending = { parts: (string | undefined)[]; got: number; startedAt: number };

export type PartOutcome =
  /** Every part is here: the message's text. */
  | { done: string }
  /** Held until the rest arrive. */
  | { held: true }
  /** Dropped (a bound, or parts that disagree on their count). */
  | { dropped: true };

export class PartAssembler {
  readonly #pending = new Map<string, Pending>();
  /** Unfinished messages given up on because they were too old. */
  expired = 0;

  constructor(private readonly limits: { maxPending: number; maxAgeMs: number } = busPartLimits) {}

  get size(): number {
    return this.#pending.size;
  }

  clear(): void {
    this.#pending.clear();
  }

  add(part: BusPart, now = Date.now()): PartOutcome {
    this.#expire(now);
    let pending = this.#pending.get(part.c);
    if (!pending) {
      if (this.#pending.size >= this.limits.maxPending) return { dropped: true };
      pending = { parts: new Array(part.k).fill(undefined), got: 0, startedAt: now };
      this.#pending.set(part.c, pending);
    }
    if (pending.parts.length !== part.k) {
      this.#pending.delete(part.c);
      return { dropped: true };
    }
    if (pending.parts[part.i] === undefined) {
      pending.parts[part.i] = part.d;
      pending.got += 1;
    }
    if (pending.got < part.k) return { held: true };
    this.#pending.delete(part.c);
    return { done: pending.parts.join("") };
  }

  #expire(now: number): void {
    for (const [id, pending] of this.#pending)
      if (now - pending.startedAt > this.limits.maxAgeMs) {
        this.#pending.delete(id);
        this.expired += 1;
      }
  }
}
