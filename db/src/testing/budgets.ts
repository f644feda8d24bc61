/**
 * A reservation request as the api makes one, for the budget queries' tests: unlimited
 * defaults, 400 characters of input and an answer cap of 500 unless `change` says otherwise.
 */
import type { BudgetLimits, ReserveRequest } from "../queries/budgets.ts";

export const unlimited: BudgetLimits = { dailyTokens: 0, turnsPerMinute: 0, concurrentRuns: 0 };

export function reserveRequest(
  userId: string,
  ownerId: string,
  change: Partial<ReserveRequest> = {},
): ReserveRequest {
  return {
    userId,
    runId: crypto.randomUUID(),
    ownerId,
    sessionId: undefined,
    clientMsgId: crypto.randomUUID(),
    inputChars: 400,
    maxOutputTokens: 500,
    defaults: unlimited,
    timeZone: "UTC",
    ttlMs: 600_000,
    historyTurns: 20,
    ...change,
  };
}
