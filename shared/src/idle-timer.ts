/**
 * A watchdog for streams: `onIdle` fires once `ms` pass without a `touch()`. A touch only
 * notes the time; the one timer, when it fires early, waits again for what is left. Re-arming
 * a timer per event cost a clearTimeout and a setTimeout per streamed token (about 2% of the
 * api's and the agent's CPU under load); this costs one timer per period.
 *
 * `pause(true)` holds the watchdog (a tool call may take long); the last `pause(false)` starts
 * a full period again. Pauses nest.
 */
export type IdleTimer = { touch(): void; pause(on: boolean): void; stop(): void };

export function idleTimer(
  ms: number,
  onIdle: () => void,
  clock: () => number = () => performance.now(),
): IdleTimer {
  let last = clock();
  let paused = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fire = () => {
    timer = undefined;
    if (stopped || paused > 0) return;
    const left = last + ms - clock();
    if (left > 0) timer = setTimeout(fire, left);
    else {
      stopped = true;
      onIdle();
    }
  };
  const arm = () => {
    if (timer || stopped || paused > 0) return;
    timer = setTimeout(fire, Math.max(0, last + ms - clock()));
  };
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  arm();
  return {
    touch() {
      last = clock();
      arm();
    },
    pause(on) {
      paused = Math.max(0, paused + (on ? 1 : -1));
      last = clock();
      if (paused > 0) disarm();
      else arm();
    },
    stop() {
      stopped = true;
      disarm();
    },
  };
}
