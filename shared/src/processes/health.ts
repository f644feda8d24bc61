/** Waiting for a child to answer its health URL, and saying clearly why it did not. */
import type { Child } from "./child.ts";
import { describeExit } from "./child.ts";

export type HealthWait = {
  timeoutMs: number;
  /** Pause between tries; the bench polls every 5 ms because the number is the cold start. */
  pollMs?: number;
  /** Limit of one request. */
  requestTimeoutMs?: number;
  /** Quote the child's last lines in the error (bun dev has printed them already). */
  quoteTail?: boolean;
};

export type Healthy = { status: number; msSinceSpawn: number };

/**
 * Resolves once `url` answers 200, with the time since the child was spawned; rejects as
 * soon as the child exits, or when time runs out.
 */
export async function waitForHealth(child: Child, url: string, wait: HealthWait): Promise<Healthy> {
  const { timeoutMs, pollMs = 100, requestTimeoutMs = 5000, quoteTail = true } = wait;
  const failure = async (message: string) => {
    if (!quoteTail) return new Error(message);
    // The last lines may still be in the pipe when the process is gone.
    await Promise.race([child.outputClosed, Bun.sleep(1000)]);
    return new Error(`${message}:\n${child.tail() || "(no output)"}`);
  };
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    if (child.exited())
      throw await failure(`${child.name} exited with ${describeExit(child)} during start`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
      const body = await response.text();
      if (response.status === 200)
        return { status: response.status, msSinceSpawn: performance.now() - child.spawnedAt };
      last = `${response.status} ${body.slice(0, 200)}`;
    } catch {
      // Not listening yet.
    }
    await Promise.race([Bun.sleep(pollMs), child.exit]);
  }
  const seconds = Math.round(timeoutMs / 1000);
  throw await failure(
    `${child.name} did not answer ${url} with 200 within ${seconds} s (last: ${last})`,
  );
}
