/**
 * The launcher's child-process mode, as the multi-process tests will use it: two api
 * processes on one database, one killed with SIGKILL and started again on its port, an
 * agent process synced against the other, and nothing left running after close.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { isRunning } from "@trainer2/shared/processes";
import { createStack, type Stack } from "./stack.ts";

// These tests start real processes and databases; Bun's 5 s default is per file, and too tight.
setDefaultTimeout(60_000);

let stack: Stack;

beforeAll(async () => {
  stack = await createStack();
});

afterAll(async () => {
  await stack?.close();
});

const health = (url: string) =>
  fetch(`${url}/health`).then(
    (response) => response.status,
    () => "unreachable",
  );

describe("a stack of child processes", () => {
  test("api processes on one database: kill -9 one, start it again on its port", async () => {
    const first = await stack.startApiProcess();
    const second = await stack.startApiProcess({ env: { LOG_LEVEL: "info" } });
    expect([first.name, second.name]).toEqual(["api", "api-2"]);
    expect(second.port).not.toBe(first.port);
    // The override reached it: at info level it says where it listens.
    expect(await second.waitForLine(/api listening/)).toContain(String(second.port));

    const killed = second.pid;
    expect(await second.kill()).toEqual({ code: null, signal: "SIGKILL" });
    expect(await health(second.url)).toBe("unreachable");
    expect(await health(first.url)).toBe(200);

    await second.restart();
    expect(second.pid).not.toBe(killed);
    expect(await health(second.url)).toBe(200);
    expect(second.startMs).toBeGreaterThan(0);
  });

  test("an agent process syncs with an api process; close stops every process", async () => {
    const api = await stack.startApiProcess();
    const agent = await stack.startAgentProcess({ apiUrl: api.url });
    // Its /health is 200 only once it has synced the api's capabilities.
    const body = (await (await fetch(`${agent.url}/health`)).json()) as {
      capabilities: { version: string | null };
    };
    expect(body.capabilities.version).toBeTruthy();

    const pids = [api.pid, agent.pid];
    await stack.close();
    expect(pids.filter(isRunning)).toEqual([]);
  });
});
