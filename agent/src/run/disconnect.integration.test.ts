/**
 * A caller that hangs up while a tool call is at the api aborts that tool request too. The api
 * is real; a loopback pass-through in front of it holds `POST /tools/*` until the agent lets go.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { startTestApi, type TestApi } from "@trainer2/api/testing";
import { startTestAgent, type TestAgent, waitUntilReady } from "../testing/index.ts";
import { postRun, runBody } from "../testing/run-helpers.ts";

setDefaultTimeout(60_000);

const held = { calls: 0, aborted: 0 };
let api: TestApi;
let proxy: ReturnType<typeof Bun.serve>;
let agent: TestAgent;

beforeAll(async () => {
  api = await startTestApi();
  proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/tools/")) {
        held.calls++;
        await new Promise((resolve) =>
          request.signal.addEventListener("abort", () => resolve(held.aborted++), { once: true }),
        );
        return new Response(null, { status: 499 });
      }
      const upstream = await fetch(`${api.url}${url.pathname}${url.search}`, {
        headers: request.headers,
      });
      return new Response(upstream.status === 304 ? null : await upstream.arrayBuffer(), {
        status: upstream.status,
        headers: upstream.headers,
      });
    },
  });
  agent = await startTestAgent({
    apiUrl: `http://127.0.0.1:${proxy.port}`,
    apiPublicKey: api.keys.apiPublicKey,
    agentPrivateKey: api.keys.agentPrivateKey,
  });
  await waitUntilReady(agent);
});

afterAll(async () => {
  await agent?.close();
  await proxy?.stop(true);
  await api?.close();
});

test("a caller that hangs up during a tool call aborts the tool request at the api", async () => {
  const { body, token } = await runBody(api.sql, api.keys.apiPrivateKey, "log a 30 minute run");
  const caller = new AbortController();
  const response = await postRun(agent.url, body, token, caller.signal);
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toContain('"status":"started"');
  for (let tries = 0; held.calls === 0 && tries < 200; tries++) await Bun.sleep(10);
  expect(held.calls).toBe(1);
  caller.abort();
  for (let tries = 0; held.aborted === 0 && tries < 400; tries++) await Bun.sleep(25);
  expect(held.aborted).toBe(1);
});
