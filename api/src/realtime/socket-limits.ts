/**
 * Limits on sockets that do not depend on a frame: how many one person may hold open on this
 * process (a signed-in socket costs memory, a ping timer and fan-out work, so one person
 * with a script must not take what a whole process can hold), and how many not yet signed in
 * may come from one address (each holds a slot for up to the auth timeout before any check).
 * Per process, by design: a socket lives on one process, and counting it there needs no
 * round trip; N processes allow N times the cap, which is still a bound.
 */
export class AddressCounter {
  readonly #counts = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Takes a slot for `address`; false (and nothing taken) when it has none left. */
  take(address: string): boolean {
    const count = this.#counts.get(address) ?? 0;
    if (count >= this.cap) return false;
    this.#counts.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = (this.#counts.get(address) ?? 0) - 1;
    if (count > 0) this.#counts.set(address, count);
    else this.#counts.delete(address);
  }

  get size(): number {
    return this.#counts.size;
  }
}
