/** What every scenario gets, and helpers for opening many signed-in sockets. */
import { BenchSocket } from "../lib/bench-socket.ts";
import type { Profile } from "../lib/profile.ts";
import type { Stack } from "../lib/stack.ts";
import { pool } from "../lib/stats.ts";

export type ScenarioContext = {
  stack: Stack;
  profile: Profile;
  wsUrl: string;
  log: (line: string) => void;
  /** False once the run's deadline passed or Ctrl-C arrived: loops stop early. */
  alive: () => boolean;
};

export const connectTimeoutMs = 15_000;

/** Opens `count` sockets, one user each (`<prefix>-<i>@<domain>`); throws if any fails. */
export async function openSockets(
  ctx: ScenarioContext,
  prefix: string,
  count: number,
  domain = "bench.test",
): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = [];
  try {
    await pool(count, 50, async (index) => {
      const token = await ctx.stack.mint(`${prefix}-${index}@${domain}`);
      sockets.push(await BenchSocket.connect(ctx.wsUrl, token, connectTimeoutMs));
    });
  } catch (error) {
    closeAll(sockets);
    throw error;
  }
  return sockets;
}

export function closeAll(sockets: BenchSocket[]): void {
  for (const socket of sockets) socket.close();
}

/** Counts failure reasons so a report says why, not just how many. */
export function tally(reasons: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of reasons.slice(0, 10_000)) counts[reason] = (counts[reason] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
  );
}
