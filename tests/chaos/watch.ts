/**
 * A watch on every process's /health once a second during the run: each change of answer is
 * kept with its time and, when it turns bad, the process's last lines. It explains findings
 * (which process stopped answering, and when); it judges nothing itself.
 */
import type { Process } from "./invariants.ts";

export type HealthChange = { atMs: number; name: string; status: number; tail?: string };

export function watchHealth(processes: Process[], now: () => number) {
  const changes: HealthChange[] = [];
  const last = new Map<string, number>();
  let stopped = false;
  const probe = async ({ name, url, tail }: Process) => {
    const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (last.get(name) === status) return;
    last.set(name, status);
    changes.push({ atMs: now(), name, status, ...(status === 200 ? {} : { tail: tail() }) });
  };
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(processes.map(probe));
      await Bun.sleep(1000);
    }
  })();
  return {
    changes,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
