/** The supervisor against real child processes (small `bun -e` scripts); no timing is asserted. */
import { describe, expect, test } from "bun:test";
import {
  cpuSeconds,
  descendantsOf,
  freePort,
  isRunning,
  killChild,
  portIsFree,
  rssMb,
  startChild,
  stopChild,
  waitForHealth,
} from "./index.ts";

/** Keeps a script alive until it is signalled. */
const idle = "setInterval(() => {}, 1000)";

const bun = (name: string, script: string, env: Record<string, string> = {}) =>
  startChild({
    name,
    command: [process.execPath, "-e", script],
    cwd: import.meta.dir,
    env: { PATH: process.env.PATH, ...env },
    stopGraceMs: 1000,
  });

describe("startChild", () => {
  test("drains both streams into the tail and to listeners, and reports the exit", async () => {
    const heard: string[] = [];
    const child = bun("talker", 'console.log("one"); console.error("two"); process.exit(3)');
    child.onLine((line) => heard.push(line));
    expect(await child.exit).toEqual({ code: 3, signal: null });
    await child.outputClosed;
    expect(child.tail().split("\n").sort()).toEqual(["one", "two"]);
    expect(heard.sort()).toEqual(["one", "two"]);
    expect(child.exited()).toBe(true);
  });

  test("killChild ends the whole group with SIGKILL", async () => {
    const child = bun("sleeper", idle);
    expect(isRunning(child.pid)).toBe(true);
    expect(await killChild(child)).toEqual({ code: null, signal: "SIGKILL" });
  });

  test("stopChild reaches what the child spawned", async () => {
    const child = bun(
      "parent",
      `Bun.spawn([process.execPath, "-e", "${idle}"]); console.log("spawned"); ${idle}`,
    );
    await new Promise<void>((resolve) => child.onLine((line) => line === "spawned" && resolve()));
    const tree = descendantsOf(child.pid);
    expect(tree.length).toBeGreaterThan(0);
    expect(cpuSeconds(child.pid)).toBeGreaterThanOrEqual(0);
    expect(rssMb(child.pid)).toBeGreaterThan(0);
    await stopChild(child);
    expect(isRunning(child.pid)).toBe(false);
    // The grandchild was not this process's child: it may stay a zombie a moment, never running.
    for (const pid of tree) await waitUntilGone(pid);
  });
});

async function waitUntilGone(pid: number) {
  for (let tries = 0; isRunning(pid) && tries < 200; tries++) await Bun.sleep(10);
  expect(isRunning(pid)).toBe(false);
}

describe("waitForHealth", () => {
  test("resolves once the URL answers 200", async () => {
    const port = await freePort();
    expect(await portIsFree(port)).toBe(true);
    const child = bun(
      "server",
      `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => new Response("ok") })`,
    );
    try {
      const healthy = await waitForHealth(child, `http://127.0.0.1:${port}/health`, {
        timeoutMs: 20_000,
        pollMs: 20,
      });
      expect(healthy.status).toBe(200);
      expect(healthy.msSinceSpawn).toBeGreaterThan(0);
      expect(await portIsFree(port)).toBe(false);
    } finally {
      await stopChild(child);
    }
  });

  test("rejects once the child exits, naming its exit code and quoting its output", async () => {
    const port = await freePort();
    const child = bun("broken", 'console.error("PORT: expected a number"); process.exit(1)');
    await expect(
      waitForHealth(child, `http://127.0.0.1:${port}/health`, { timeoutMs: 60_000 }),
    ).rejects.toThrow(/broken exited with 1 during start:\nPORT: expected a number/);
  });

  test("without the tail when the caller has printed the output already", async () => {
    const port = await freePort();
    const child = bun("quiet", 'console.error("printed elsewhere"); process.exit(2)');
    const error = await waitForHealth(child, `http://127.0.0.1:${port}/health`, {
      timeoutMs: 60_000,
      quoteTail: false,
    }).catch((caught: Error) => caught);
    expect(String(error)).toContain("quiet exited with 2 during start");
    expect(String(error)).not.toContain("printed elsewhere");
  });
});
