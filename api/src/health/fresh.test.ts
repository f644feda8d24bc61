import { describe, expect, test } from "bun:test";
import { keptFresh } from "./fresh.ts";

/** A probe whose answers the test hands out one by one. */
function manualProbe<T>() {
  const pending: ((value: T) => void)[] = [];
  let probes = 0;
  return {
    probe: () => {
      probes += 1;
      return new Promise<T>((resolve) => pending.push(resolve));
    },
    answer: (value: T) => pending.shift()?.(value),
    get probes() {
      return probes;
    },
  };
}

describe("keptFresh", () => {
  test("many readers, one probe; then answered from memory while fresh", async () => {
    let now = 0;
    const manual = manualProbe<number>();
    const fresh = keptFresh(manual.probe, { maxAgeMs: 1000, everyMs: 60_000, clock: () => now });
    try {
      const waiting = [fresh.read(), fresh.read(), fresh.read()];
      expect(manual.probes).toBe(1);
      manual.answer(7);
      expect(await Promise.all(waiting)).toEqual([7, 7, 7]);
      now = 1000;
      expect(await fresh.read()).toBe(7);
      expect(manual.probes).toBe(1);
      // Too old (the background probe did not run): the read waits for a new probe.
      now = 1001;
      const again = fresh.read();
      expect(manual.probes).toBe(2);
      manual.answer(8);
      expect(await again).toBe(8);
    } finally {
      fresh.stop();
    }
  });

  test("the background loop keeps probing after the first read, and stops when told", async () => {
    let probes = 0;
    const reached: (() => void)[] = [];
    const fresh = keptFresh(
      async () => {
        probes += 1;
        reached.shift()?.();
        return probes;
      },
      { maxAgeMs: 60_000, everyMs: 1 },
    );
    const thirdProbe = new Promise<void>((resolve) => {
      reached.push(
        () => {},
        () => {},
        resolve,
      );
    });
    expect(await fresh.read()).toBe(1);
    await thirdProbe; // no read in between: the loop did it
    fresh.stop();
    const after = probes;
    await Bun.sleep(20);
    expect(probes).toBe(after);
  });

  test("a failed probe is not kept: the next read probes again", async () => {
    let probes = 0;
    const fresh = keptFresh(async () => {
      probes += 1;
      if (probes === 1) throw new Error("down");
      return "up";
    });
    try {
      await expect(fresh.read()).rejects.toThrow("down");
      expect(await fresh.read()).toBe("up");
    } finally {
      fresh.stop();
    }
  });
});
