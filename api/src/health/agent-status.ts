/**
 * What the api knows about the agent for /health and /state: reachable or not, and whether
 * it answers with the offline dev model. Cached briefly so /state does not probe every time.
 */
import { z } from "zod";

const agentHealth = z.looseObject({ mode: z.string().optional() });

/** `ready` is the agent's own verdict (it answers 503 until its capabilities are synced). */
export type AgentStatus = { reachable: boolean; ready: boolean; mode: string | null };

export function createAgentStatus(options: {
  agentUrl: () => string;
  timeoutMs?: number;
  cacheMs?: number;
  now?: () => number;
}) {
  const timeoutMs = options.timeoutMs ?? 1000;
  const cacheMs = options.cacheMs ?? 5000;
  const now = options.now ?? Date.now;
  let cached: { url: string; at: number; status: AgentStatus } | undefined;

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

  return async function agentStatus(): Promise<AgentStatus> {
    const url = options.agentUrl();
    if (cached && cached.url === url && now() - cached.at < cacheMs) return cached.status;
    const status = await probe(url);
    cached = { url, at: now(), status };
    return status;
  };
}

export type AgentStatusProbe = ReturnType<typeof createAgentStatus>;
