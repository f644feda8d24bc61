/**
 * At most `limit` of one person's tasks at once on this process; the rest wait their turn, in
 * order. A `resume` reads up to a session's whole history: without this, one person's twenty
 * sockets could hold every connection of the pool at once, and everyone else's /state would
 * queue behind them (a flood of resumes took another person's /state p99 from 14 ms to
 * 352 ms; tests/resume-flood.integration.test.ts). With it, one person's resumes hold
 * `limit` connections at most, and the others' reads go by.
 */
import { AppError } from "@trainer2/shared/errors";

type Person = { active: number; waiting: (() => void)[] };

export class PersonGate {
  readonly #people = new Map<string, Person>();

  constructor(
    private readonly limit: number,
    /** Past this many waiting, a new task is refused (rate_limited) instead of queued. */
    private readonly maxWaiting: number,
  ) {}

  async run<T>(userId: string, task: () => Promise<T>): Promise<T> {
    let person = this.#people.get(userId);
    if (!person) {
      person = { active: 0, waiting: [] };
      this.#people.set(userId, person);
    }
    if (person.active < this.limit) person.active++;
    else if (person.waiting.length >= this.maxWaiting)
      throw new AppError("rate_limited", "Too many requests at once; try again in a moment.", {
        details: { retryAfterS: 1 },
      });
    else {
      const queue = person.waiting;
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    try {
      return await task();
    } finally {
      // The slot passes to the next in line; the last one out forgets the person.
      const next = person.waiting.shift();
      if (next) next();
      else if (--person.active === 0) this.#people.delete(userId);
    }
  }

  /** People with tasks running or waiting (0 when idle: nothing is kept). */
  get size(): number {
    return this.#people.size;
  }
}
