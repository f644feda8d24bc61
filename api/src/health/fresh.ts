/**
 * A probe kept fresh in the background, so /health answers from memory (liveness without
 * I/O) with a readiness verdict at most `maxAgeMs` old. The loop starts on the first read and
 * probes every `everyMs` until `stop()`. A read that finds the verdict too old (the probe hangs,
 * the loop was starved) waits for the probe in flight, or starts one: never a stale answer,
 * and never more than one probe at a time however many requests come in.
 *
 * Ages are measured on `clock` (monotonic by default), not the app's `now`: tests that move the
 * app's clock must not make the database look down.
 */
export type FreshProbe<T> = { read(): Promise<T>; stop(): void };

export function keptFresh<T>(
  probe: () => Promise<T>,
  options: { maxAgeMs?: number; everyMs?: number; clock?: () => number } = {},
): FreshProbe<T> {
  const maxAgeMs = options.maxAgeMs ?? 1000;
  const everyMs = options.everyMs ?? maxAgeMs / 4;
  const clock = options.clock ?? (() => performance.now());
  let last: { at: number; value: T } | undefined;
  let running: Promise<T> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let started = false;
  let stopped = false;

  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void probeOnce().catch(() => {}); // a failed probe is read as such by the next read
    }, everyMs);
    timer.unref?.();
  };

  function probeOnce(): Promise<T> {
    if (running) return running;
    running = probe()
      .then((value) => {
        last = { at: clock(), value };
        return value;
      })
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  }

  return {
    read() {
      started ||= !stopped;
      if (last && clock() - last.at <= maxAgeMs) {
        if (started) schedule();
        return Promise.resolve(last.value);
      }
      return probeOnce();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
