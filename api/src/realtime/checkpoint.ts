/**
 * The text so far of an answer, saved while it streams: at most one write per interval and
 * never two at once, so a long answer costs a few writes a second whatever its token rate.
 * A crash of the process keeps what was shown (up to one interval), and another api process
 * can read the answer of a run it does not own. A failed write (database down) is logged
 * once and skipped: streaming goes on, and the next change tries again.
 */
import type { Logger } from "@trainer2/shared/logger";

export type Checkpoint = {
  /** Something changed: save it within the interval. */
  touch(): void;
  /** No more saves; resolves once a save in flight has finished (before the final write). */
  stop(): Promise<void>;
};

export function checkpoint(options: {
  intervalMs: number;
  save: () => Promise<void>;
  logger: Logger;
  runId: string;
}): Checkpoint {
  const { intervalMs, save, logger } = options;
  if (intervalMs <= 0) return { touch() {}, stop: async () => {} };
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let failing = false;

  const write = () => {
    timer = undefined;
    if (stopped || inFlight) return;
    dirty = false;
    lastStartedAt = performance.now();
    inFlight = save()
      .then(() => {
        failing = false;
      })
      .catch((error) => {
        if (!failing)
          logger.warn("could not save the answer so far", { runId: options.runId, error });
        failing = true;
      })
      .finally(() => {
        inFlight = undefined;
        if (dirty) schedule();
      });
  };

  const schedule = () => {
    if (stopped || timer || inFlight) return;
    const wait = lastStartedAt + intervalMs - performance.now();
    if (wait <= 0) write();
    else timer = setTimeout(write, wait);
  };

  return {
    touch() {
      dirty = true;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
