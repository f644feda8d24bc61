import { describe, expect, test } from "bun:test";
import { PersonGate } from "./person-gate.ts";

/** A task that runs until `finish` is called, saying when it started. */
function pending(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
    },
    finish: () => finish(),
  };
}

describe("PersonGate", () => {
  test("one person's tasks run one at a time, in order; another person's are not held", async () => {
    const gate = new PersonGate(1, 10);
    const log: string[] = [];
    const [a1, a2, b1] = [pending(log, "a1"), pending(log, "a2"), pending(log, "b1")];
    const runs = [gate.run("a", a1.task), gate.run("a", a2.task), gate.run("b", b1.task)];
    await Promise.resolve();
    expect(log).toEqual(["start a1", "start b1"]);
    a1.finish();
    await runs[0];
    await Promise.resolve();
    expect(log).toEqual(["start a1", "start b1", "start a2"]);
    a2.finish();
    b1.finish();
    await Promise.all(runs);
    expect(gate.size).toBe(0);
  });

  test("past the waiting line's length, a new task is refused as rate_limited", async () => {
    const gate = new PersonGate(1, 1);
    const log: string[] = [];
    const first = pending(log, "1");
    const running = gate.run("a", first.task);
    const waiting = gate.run("a", async () => {});
    await expect(gate.run("a", async () => {})).rejects.toMatchObject({ code: "rate_limited" });
    first.finish();
    await Promise.all([running, waiting]);
    expect(gate.size).toBe(0);
  });

  test("a task that throws passes its turn on", async () => {
    const gate = new PersonGate(1, 10);
    const failing = gate.run("a", async () => {
      throw new Error("boom");
    });
    const next = gate.run("a", async () => "ran");
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("ran");
    expect(gate.size).toBe(0);
  });
});
