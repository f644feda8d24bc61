/**
 * What one person may ask of this process per second, by cost: reading a whole account for
 * an export costs far more than a /state read, so each request or frame that costs is
 * charged what it costs from one bucket per person (refilled at `perSecond`, holding at most
 * `burst`). Past it, the request answers 429 `rate_limited` in the one error shape with
 * `Retry-After` (a frame gets an `error` frame; the socket stays open). Per process, like the
 * socket cap: the costs it bounds (database reads, a whole account in memory) are this
 * process's, and counting here needs no round trip on every request.
 */
import { AppError } from "@trainer2/shared/errors";
import type { MiddlewareHandler } from "hono";
import type { AuthVariables } from "../auth/authenticate.ts";

/** What each costly request or frame is charged (units; `perSecond` come back each second). */
export const costs = {
  state: 1,
  resume: 5,
  session: 2,
  accountDelete: 20,
  export: 100,
} as const;

export type PersonLimitSettings = { perSecond: number; burst: number };
export const defaultPersonLimits: PersonLimitSettings = { perSecond: 20, burst: 200 };

type Bucket = { tokens: number; at: number };

export class PersonLimits {
  readonly #buckets = new Map<string, Bucket>();
  #sweptAt: number;

  constructor(
    private readonly settings: PersonLimitSettings = defaultPersonLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.#sweptAt = now();
  }

  /** Charges `cost` to the person, or throws `rate_limited` saying when to try again. */
  charge(userId: string, cost: number): void {
    const at = this.now();
    this.#sweep(at);
    const { perSecond, burst } = this.settings;
    const bucket = this.#buckets.get(userId) ?? { tokens: burst, at };
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
    this.#buckets.set(userId, bucket);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return;
    }
    const retryAfterS = Math.max(1, Math.ceil((cost - bucket.tokens) / perSecond));
    throw new AppError("rate_limited", `Too many requests; try again in ${retryAfterS} s.`, {
      details: { retryAfterS },
    });
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
      limits.charge(c.var.auth.user.id, cost);
    } catch (error) {
      if (error instanceof AppError && typeof error.details?.retryAfterS === "number")
        c.header("Retry-After", String(error.details.retryAfterS));
      throw error;
    }
    await next();
  };
}
