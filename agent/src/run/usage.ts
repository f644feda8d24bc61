/**
 * The tokens one run used, as the model reported them: added up call by call from the SDK's
 * `response_done` events (so the api hears of each call as it ends, and a run it stops early
 * is still counted), and squared with the SDK's own total at the end, which also has the
 * usage of calls that failed where the provider reported it.
 */
import type { Usage } from "@trainer2/shared/wire";

type Counted = { inputTokens: number; outputTokens: number };

export function usageMeter(model: string) {
  let total: Counted = { inputTokens: 0, outputTokens: 0 };
  const snapshot = (): Usage => ({ ...total, model });
  return {
    /** One model call's usage; returns the run's so far. */
    add(call: Partial<Counted> | undefined): Usage {
      total = {
        inputTokens: total.inputTokens + (call?.inputTokens ?? 0),
        outputTokens: total.outputTokens + (call?.outputTokens ?? 0),
      };
      return snapshot();
    },
    /** The run's usage at its end: the SDK's total, unless the calls seen add up to more. */
    settle(sdk: Counted | undefined): Usage {
      const sum = (usage: Counted) => usage.inputTokens + usage.outputTokens;
      if (sdk && sum(sdk) >= sum(total))
        total = { inputTokens: sdk.inputTokens, outputTokens: sdk.outputTokens };
      return snapshot();
    },
  };
}
