/**
 * The per-person bucket every api process spends from (db/queries/rate-limits.ts), as
 * person-limits.ts takes it. When the database cannot answer, the request goes ahead on this
 * process's bucket (fail open, README: Limits): said in the log, at most once a minute so an
 * outage does not flood it.
 */
import type { Sql } from "@trainer2/db";
import { chargeBucket } from "@trainer2/db/queries/rate-limits";
import type { Logger } from "@trainer2/shared/logger";
import type { PersonLimitSettings, SharedLimits } from "./person-limits.ts";

/** One bucket for everything that costs, as the in-process one. */
const bucket = "cost";

export function sharedLimitsIn(
  sql: Sql,
  settings: PersonLimitSettings,
  deps: { logger: Logger; now: () => number; timeoutMs?: number },
): SharedLimits {
  let failures = 0;
  let saidAt = Number.NEGATIVE_INFINITY;
  return {
    charge: (userId, cost) => chargeBucket(sql, { userId, bucket, cost, ...settings }),
    ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    onUnavailable: (error) => {
      failures++;
      const at = deps.now();
      if (at - saidAt < 60_000) return;
      saidAt = at;
      deps.logger.warn("shared rate limits unavailable: going on this process's own", {
        error,
        failuresSinceLast: failures,
      });
      failures = 0;
    },
  };
}
