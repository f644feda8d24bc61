/**
 * A run token starts one run. The api signs a fresh token for each run it starts (a resumed
 * run gets a new one), so a token presented again is a replay of one seen before (a copy of
 * an api → agent request): refused with `run_ended`, and logged. Tokens are remembered by
 * their signature until they would have expired; the api also refuses a finished run's tool
 * calls, so what a replay on another agent process could still start acts on nothing.
 */
import { runTokenTtlSeconds } from "@trainer2/shared/tokens";

export type UsedRunTokens = {
  /** False when the token already started a run here. */
  firstUse(token: string): boolean;
  readonly size: number;
};

export function usedRunTokens(now: () => number = Date.now): UsedRunTokens {
  const seen = new Map<string, number>();
  const keepMs = runTokenTtlSeconds * 1000;
  const prune = (at: number) => {
    // Insertion order is expiry order: drop from the front while expired.
    for (const [key, until] of seen) {
      if (until > at) break;
      seen.delete(key);
    }
  };
  return {
    firstUse(token) {
      const at = now();
      prune(at);
      const signature = token.slice(token.lastIndexOf(".") + 1);
      if (seen.has(signature)) return false;
      seen.set(signature, at + keepMs);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
