/**
 * A person's `state` as this process shows it: the snapshot (kept while current, see
 * state-cache.ts) plus what only this process knows at this moment: whether the agent runs
 * the offline model, today's budget, the calls waiting for approval, and a run of this
 * process as it is now. The snapshot is shared with later requests, so additions go on
 * copies. GET /state sends the JSON; the sockets' `state` events send the object.
 */
import type { Sql } from "@trainer2/db";
import { pendingApprovalsOfSession } from "@trainer2/db/queries/tool-approvals";
import type { Budget, State } from "@trainer2/shared/wire";
import type { AgentStatus } from "../health/agent-status.ts";
import { toApprovalDto } from "../realtime/pause.ts";
import type { Run } from "../realtime/run.ts";
import type { StateCache } from "./state-cache.ts";

export type StateAssembler = {
  state(userId: string, sessionId: string | undefined): Promise<State>;
  /** The same as JSON text. */
  json(userId: string, sessionId: string | undefined): Promise<string>;
};

export function stateAssembler(deps: {
  sql: Sql;
  snapshots: StateCache;
  agentStatus: () => Promise<AgentStatus>;
  budgetToday: (userId: string) => Promise<Budget | null>;
  runOf: (sessionId: string) => Run | undefined;
}): StateAssembler {
  // A kept snapshot's JSON with the one addition nearly every request has (offlineModel):
  // serialized once per snapshot, not per request (~25 KB of JSON for a 50-message session
  // was a tenth of the api's CPU on /state), and gone with the snapshot.
  const texts = new WeakMap<State, Map<string, string>>();

  async function assemble(userId: string, sessionId: string | undefined) {
    const [agent, snapshot, budget] = await Promise.all([
      deps.agentStatus(),
      deps.snapshots.load(userId, sessionId),
      deps.budgetToday(userId),
    ]);
    const state: State = { ...snapshot };
    if (agent.mode) state.offlineModel = agent.mode === "offline";
    let plain = !budget;
    if (budget) state.budget = budget;
    const session = snapshot.session;
    if (!session) return { snapshot, state, plain };
    // Tool calls of the chat waiting for the person (only when an answer waits: no extra read).
    const waits = session.messages.some((message) => message.status === "awaiting_approval");
    // A run of this process shows as it is now, never as `streaming` once it has ended.
    const run = deps.runOf(session.id);
    if (!waits && !run) return { snapshot, state, plain };
    plain = false;
    state.session = { ...session };
    if (waits)
      state.session.approvals = (await pendingApprovalsOfSession(deps.sql, session.id)).map(
        toApprovalDto,
      );
    if (run)
      state.session.messages = session.messages.map((message) =>
        message.seq === run.seq && message.status === "streaming" ? run.current(message) : message,
      );
    return { snapshot, state, plain };
  }

  return {
    state: async (userId, sessionId) => (await assemble(userId, sessionId)).state,
    async json(userId, sessionId) {
      const { snapshot, state, plain } = await assemble(userId, sessionId);
      if (!plain) return JSON.stringify(state);
      const key = String(state.offlineModel);
      const byAddition = texts.get(snapshot) ?? new Map<string, string>();
      texts.set(snapshot, byAddition);
      const text = byAddition.get(key) ?? JSON.stringify(state);
      byAddition.set(key, text);
      return text;
    },
  };
}
