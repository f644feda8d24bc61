/**
 * The chaos run's supervisor: a process that dies with no fault asking is started again on
 * its port and reported as a crash; a fault's kill is restarted after its hold and is no crash.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { freePort } from "@trainer2/shared/processes";
import { Service } from "@trainer2/testkit";
import { Supervisor } from "./supervisor.ts";

setDefaultTimeout(60_000);

const services: Service[] = [];
afterAll(() => Promise.all(services.map((service) => service.stop())));

async function tinyService(name: string): Promise<Service> {
  const port = await freePort();
  const serve = `Bun.serve({ port: ${port}, fetch: () => new Response("ok") })`;
  const service = await Service.start({
    name,
    command: [process.execPath, "-e", serve],
    cwd: import.meta.dir,
    env: {},
    port,
  });
  services.push(service);
  return service;
}

test("an exit nobody asked for is restarted and reported; a fault's kill is not a crash", async () => {
  const [crashing, killed] = [await tinyService("crashing"), await tinyService("killed")];
  const lines: string[] = [];
  let heard: (() => void) | undefined;
  const supervisor = new Supervisor(
    [crashing, killed],
    () => 0,
    (line) => {
      lines.push(line);
      heard?.();
    },
  );
  const back = new Promise<void>((resolve) => {
    heard = () => lines.includes("crashing is back") && resolve();
  });
  const firstPid = crashing.pid;
  process.kill(-firstPid, "SIGKILL");
  await back;
  expect(crashing.pid).not.toBe(firstPid);
  expect(await fetch(`${crashing.url}/health`).then((r) => r.status)).toBe(200);

  const killedPid = killed.pid;
  await supervisor.kill(killed, 10);
  expect(killed.pid).not.toBe(killedPid);
  expect(await fetch(`${killed.url}/health`).then((r) => r.status)).toBe(200);

  supervisor.stop();
  expect(supervisor.crashes.map((crash) => [crash.name, crash.exit])).toEqual([
    ["crashing", "SIGKILL"],
  ]);
});
