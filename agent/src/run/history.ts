/**
 * The stored history of a session reaches the model in front of each model call's input, at
 * the model itself: a provider wrapper reads the run's history from the async context the
 * run was started in (`withStoredHistory`) and prepends it to the request. The model sees
 * what it would if the history were the run's input; the SDK's run (its items, a paused
 * RunState, its bookkeeping per model call) holds only this turn's.
 *
 * Why not the run's input, nor the SDK's callModelInputFilter: the SDK (0.20) deep-copies
 * and keys (JSON.stringify) every item it is given, per model call, for its session
 * bookkeeping, even with no session; as the run's input the history made that about a fifth
 * of the agent's CPU per turn, and through the input filter, which clones the filtered
 * input twice and keys each item it cannot match, still about an eighth
 * (`--cpu-prof-md`, 50 sessions: `structuredClone` 11% of the agent's samples, called from
 * `applyCallModelInputFilter`). Here: agent CPU per turn 3.10 / 3.02 → 2.74 / 2.66 ms, turns
 * +8 / +13% (`.data/prof/prof-load.ts`: 50 sessions × 15 s, main-thread samples per completed
 * turn, old and new alternated). The items are never changed here, so they pass by reference.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { AgentInputItem, ModelProvider, ModelRequest } from "@openai/agents";
import { withCalls, wrapModels } from "../model-wrap.ts";

const storedHistory = new AsyncLocalStorage<readonly AgentInputItem[]>();

/** Runs `start` (the SDK run: every model call it makes later too) with `history` in front. */
export function withStoredHistory<T>(history: readonly AgentInputItem[], start: () => T): T {
  return storedHistory.run(history, start);
}

function withHistory(request: ModelRequest): ModelRequest {
  const history = storedHistory.getStore();
  if (!history || history.length === 0) return request;
  const input: AgentInputItem[] =
    typeof request.input === "string" ? [{ role: "user", content: request.input }] : request.input;
  return { ...request, input: [...history, ...input] };
}

/** `provider` with every model it hands out given the run's stored history. */
export function storedHistoryModels(provider: ModelProvider): ModelProvider {
  return wrapModels(provider, (model) =>
    withCalls(model, {
      getResponse: (request) => model.getResponse(withHistory(request)),
      getStreamedResponse: (request) => model.getStreamedResponse(withHistory(request)),
    }),
  );
}
