/** The chaos command's flags and its schedule: same seed, same faults; --help asks nothing. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { parseChaosFlags } from "./cli.ts";
import { faultKinds, planFaults } from "./faults.ts";
import { Random } from "./random.ts";

describe("bun run chaos flags", () => {
  test("--help and -h ask for the usage, whatever else is given", () => {
    expect(parseChaosFlags(["--help"])).toBe("help");
    expect(parseChaosFlags(["--seconds", "9", "-h"])).toBe("help");
  });

  test("defaults: 60 s, 40 people, a seed drawn and kept", () => {
    const flags = parseChaosFlags([]);
    expect(flags).toMatchObject({ seconds: 60, people: 40 });
    expect(typeof (flags as { seed: number }).seed).toBe("number");
  });

  test("a bad value names its flag", () => {
    expect(parseChaosFlags(["--people", "many"])).toEqual({ error: "--people: expected a number" });
    expect(parseChaosFlags(["--seconds", "1"])).toEqual({ error: "--seconds: at least 5" });
    expect(parseChaosFlags(["--speed", "1"])).toHaveProperty("error");
  });
});

test("bun run chaos --help prints the usage and exits 0, starting nothing", async () => {
  const { code, stdout } = await runCommand(["bun", "run", "chaos", "--help"], {
    cwd: join(import.meta.dir, "..", ".."),
    // A database nobody listens on: a command that reached for one would fail.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: "postgres://x@127.0.0.1:9/x",
    },
  });
  expect({ code, usage: stdout.includes("usage: bun run chaos") }).toEqual({
    code: 0,
    usage: true,
  });
  // A process of its own: starting Bun takes seconds on a machine busy with the other files.
}, 30_000);

describe("the fault schedule", () => {
  test("the same seed plans the same faults at the same offsets; another seed does not", () => {
    const plan = (seed: number) => planFaults(new Random(seed).fork("faults"), 600_000);
    expect(plan(1)).toEqual(plan(1));
    expect(plan(1)).not.toEqual(plan(2));
  });

  test("every kind once, inside the actions, database outages of 1 to 10 s", () => {
    const once = planFaults(new Random(3).fork("faults"), 8000, true);
    expect(once.map((fault) => fault.kind).sort()).toEqual([...faultKinds].sort());
    const long = planFaults(new Random(4).fork("faults"), 600_000);
    for (const fault of [...once, ...long]) {
      expect(fault.atMs).toBeGreaterThanOrEqual(2000);
      if (fault.kind === "db-outage") {
        expect(fault.holdMs).toBeGreaterThanOrEqual(1000);
        expect(fault.holdMs).toBeLessThanOrEqual(10_000);
      }
    }
  });
});
