/**
 * The repo's proxy config when the api processes restart one after the other (a crash, a
 * rolling deploy): a new connection goes to whichever process answers. Found by `bun run
 * chaos` (seed 1): nginx's default passive health check (max_fails=1, fail_timeout=10s) marked
 * the first process down when a connection to it was refused while it restarted; the second
 * one dying within those 10 s left nginx with "no live upstreams" (502 for every request,
 * both processes healthy). Worse, the one request nginx lets through to try a server again is,
 * for a socket, a WebSocket that stays open: the server stays marked down as long as that
 * socket lives (38 s and counting in the chaos run, every reconnect refused).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type Replicas, startReplicas } from "@trainer2/testkit/replicas";

setDefaultTimeout(120_000);

let r: Replicas;
beforeAll(async () => {
  r = await startReplicas({ count: 2 });
});
afterAll(async () => {
  await r?.close();
});

/** The statuses of `n` requests through nginx (round robin: both processes are asked). */
const throughProxy = (n: number) =>
  Promise.all(
    Array.from({ length: n }, () => fetch(`${r.nginx.url}/health`).then((res) => res.status)),
  );

test("the first process restarted, then the second killed: nginx serves from the first", async () => {
  const [first, second] = r.apis as [(typeof r.apis)[0], (typeof r.apis)[0]];
  await first.kill("SIGKILL");
  // While it is down, a request to it is refused and goes to the second one.
  expect(await throughProxy(4)).toEqual([200, 200, 200, 200]);
  await first.restart();
  await second.kill("SIGKILL");
  expect(await throughProxy(4)).toEqual([200, 200, 200, 200]);
  await second.restart();
});
