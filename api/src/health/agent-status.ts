/**
 * What the api knows about the agent for /health and /state: reachable or not, and whether
 * it answers with the offline dev model, from a background probe (fresh.ts): /health and /state
 * never wait for the agent while it answers.
 */
import { z } from "zod";
import { type FreshProbe, keptFresh } from "./fresh.ts";

const agentHealth = z.looseObject({ mode: z.string().optional() });

/** `ready` is the agent's own verdict (it answers 503 until its capabilities are synced). */
export type AgentStatus = { reachable: boolean; ready: boolean; mode: string | null };

export function createAgentStatus(options: {
  agentUrl: () => string;
  timeoutMs?: number;
  /** How old the answer may be; a background probe keeps it fresher than that. */
  maxAgeMs?: number;
}) {
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxAgeMs = options.maxAgeMs ?? 1000;

  async function probe(url: string): Promise<AgentStatus> {
    try {
      const response = await fetch(new URL("/health", url), {
        signal: AbortSignal.timeout(timeoutMs),
      });
      const parsed = agentHealth.safeParse(await response.json().catch(() => null));
      const mode = parsed.success ? (parsed.data.mode ?? null) : null;
      return { reachable: true, ready: response.ok, mode };
    } catch {
      return { reachable: false, ready: false, mode: null };
    }
  }

  // One background probe per agent URL (the URL may change: tests and `setAgentUrl`).
  let current: { url: string; status: FreshProbe<AgentStatus> } | undefined;
  const agentStatus = (): Promise<AgentStatus> => {
    const url = options.agentUrl();
    if (current?.url !== url) {
      current?.status.stop();
      current = { url, status: keptFresh(() => probe(url), { maxAgeMs }) };
    }
    return current.status.read();
  };
  agentStatus.stop = () => current?.status.stop();
  return agentStatus;
}

export type AgentStatusProbe = ReturnType<typeof createAgentStatus>;
