/**
 * What one person may ask per second, by cost: reading a whole account for an export costs
 * far more than a /state read, so each request or frame that costs is charged what it costs
 * from one bucket per person (refilled at `perSecond`, holding at most `burst`). Past it, the
 * request answers 429 `rate_limited` in the one error shape with `Retry-After` (a frame gets
 * an `error` frame; the socket stays open).
 *
 * Two layers. This process's own bucket answers first, with no round trip: it sees only this
 * process's spending, so when it is empty the shared one (which sees everyone's) is too, and
 * a flood aimed at one process is refused without touching the database. What it lets
 * through is charged to the person's bucket in Postgres (`shared`, one upsert), which every
 * api process spends from, so N processes allow what one does. When that charge cannot be
 * made (the database down or slow past `sharedTimeoutMs`) the request goes ahead on the
 * local bucket alone (fail open): an infrastructure failure is never a refusal, and never an
 * auth failure; the route's own database work then answers for itself (503).
 */
import { AppError } from "@trainer2/shared/errors";
import type { MiddlewareHandler } from "hono";
import type { AuthVariables } from "../auth/authenticate.ts";

/** What each costly request or frame is charged (units; `perSecond` come back each second). */
export const costs = {
  state: 1,
  /** Charged on arrival; the replay then costs 1 more per `resumeMessagesPerUnit` messages. */
  resume: 5,
  session: 2,
  accountDelete: 20,
  export: 100,
} as const;

/**
 * What a resume's replay adds to its cost: reading and sending 400 messages is some 80 times
 * the work of 5, so a flood of resumes of a long session runs dry that much sooner (with only
 * the flat cost, one person's resumes kept another's /state p99 at 3-5x of idle).
 */
export const resumeMessagesPerUnit = 20;
export const replayCost = (messages: number) => Math.ceil(messages / resumeMessagesPerUnit);

/**
 * Charges below this stay in this process (a /state read): across N processes they allow at
 * most N times a cheap read, while a shared charge on each would add a database write to the
 * hottest read there is. Everything that costs more (a resume, a rename, an export) is shared.
 */
export const sharedFromCost = 2;

export type PersonLimitSettings = { perSecond: number; burst: number };
export const defaultPersonLimits: PersonLimitSettings = { perSecond: 20, burst: 200 };

/** The bucket every process shares (db/queries/rate-limits.ts, bound to the settings). */
export type SharedCharge = (
  userId: string,
  cost: number,
) => Promise<{ granted: boolean; tokens: number }>;

export type SharedLimits = {
  charge: SharedCharge;
  /** Past this the charge is given up on and the request goes ahead (ms). */
  timeoutMs?: number;
  /** Told each time the shared charge failed and the request went ahead on the local bucket. */
  onUnavailable?: (error: unknown) => void;
};

type Bucket = { tokens: number; at: number };

const refusal = (retryAfterS: number) =>
  new AppError("rate_limited", `Too many requests; try again in ${retryAfterS} s.`, {
    details: { retryAfterS },
  });

class TimedOut extends Error {}

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class PersonLimits {
  readonly #buckets = new Map<string, Bucket>();
  #sweptAt: number;

  constructor(
    private readonly settings: PersonLimitSettings = defaultPersonLimits,
    private readonly now: () => number = Date.now,
    private readonly shared?: SharedLimits,
  ) {
    this.#sweptAt = now();
  }

  /** Charges `cost` to the person, or throws `rate_limited` saying when to try again. */
  async charge(userId: string, cost: number): Promise<void> {
    const bucket = this.#chargeLocally(userId, cost);
    if (!this.shared || cost < sharedFromCost) return;
    let answer: Awaited<ReturnType<SharedCharge>>;
    try {
      answer = await within(this.shared.charge(userId, cost), this.shared.timeoutMs ?? 1000);
    } catch (error) {
      this.shared.onUnavailable?.(error);
      return;
    }
    if (answer.granted) {
      // Other processes spent too: refuse locally what the shared bucket would refuse.
      bucket.tokens = Math.min(bucket.tokens, answer.tokens);
      return;
    }
    bucket.tokens = Math.min(bucket.tokens + cost, answer.tokens);
    throw refusal(this.#retryAfterS(cost, answer.tokens));
  }

  /** This process's bucket: charged, or a refusal thrown; returned to follow the shared one. */
  #chargeLocally(userId: string, cost: number): Bucket {
    const at = this.now();
    this.#sweep(at);
    const { perSecond, burst } = this.settings;
    const bucket = this.#buckets.get(userId) ?? { tokens: burst, at };
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
    this.#buckets.set(userId, bucket);
    if (bucket.tokens < cost) throw refusal(this.#retryAfterS(cost, bucket.tokens));
    bucket.tokens -= cost;
    return bucket;
  }

  #retryAfterS(cost: number, tokens: number): number {
    return Math.max(1, Math.ceil((cost - tokens) / this.settings.perSecond));
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** A full bucket is the same as none: forget those, so the map holds the active only. */
  #sweep(at: number): void {
    if (at - this.#sweptAt < 60_000) return;
    this.#sweptAt = at;
    const { perSecond, burst } = this.settings;
    for (const [userId, bucket] of this.#buckets)
      if (bucket.tokens + ((at - bucket.at) / 1000) * perSecond >= burst)
        this.#buckets.delete(userId);
  }
}

/** After `requireUser`: charges the signed-in person `cost`; a refusal carries Retry-After. */
export function charged(
  limits: PersonLimits,
  cost: number,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    try {
      await limits.charge(c.var.auth.user.id, cost);
    } catch (error) {
      if (error instanceof AppError && typeof error.details?.retryAfterS === "number")
        c.header("Retry-After", String(error.details.retryAfterS));
      throw error;
    }
    await next();
  };
}
