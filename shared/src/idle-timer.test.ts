import { describe, expect, test } from "bun:test";
import { idleTimer } from "./idle-timer.ts";

/** Resolves with the clock time at which the timer's `onIdle` ran. */
function watched(ms: number) {
  let fired!: (at: number) => void;
  const idle = new Promise<number>((resolve) => {
    fired = resolve;
  });
  let calls = 0;
  const timer = idleTimer(ms, () => {
    calls += 1;
    fired(performance.now());
  });
  return { timer, idle, calls: () => calls };
}

describe("idleTimer", () => {
  test("touches keep it quiet; it fires once, a full period after the last touch", async () => {
    const { timer, idle, calls } = watched(40);
    let lastTouch = performance.now();
    for (let index = 0; index < 8; index++) {
      await Bun.sleep(10);
      timer.touch();
      lastTouch = performance.now();
    }
    const at = await idle;
    // Timers are never early (they may be late on a busy machine).
    expect(at - lastTouch).toBeGreaterThanOrEqual(39);
    timer.touch(); // after it fired: nothing re-arms it
    await Bun.sleep(60);
    expect(calls()).toBe(1);
  });

  test("paused, it never fires; resumed, it waits a full period again", async () => {
    const { timer, idle, calls } = watched(20);
    timer.pause(true);
    timer.pause(true);
    await Bun.sleep(50);
    timer.pause(false);
    await Bun.sleep(30);
    expect(calls()).toBe(0); // still one pause open
    const resumed = performance.now();
    timer.pause(false);
    expect((await idle) - resumed).toBeGreaterThanOrEqual(19);
  });

  test("stopped, it never fires", async () => {
    const { timer, calls } = watched(10);
    timer.stop();
    await Bun.sleep(30);
    expect(calls()).toBe(0);
  });
});
