/**
 * One supervisor for the stage's services (apis, agents, the model), as a deployment has:
 * a process that exits is started again on its port and environment. A kill the fault
 * schedule makes is the supervisor's too (it restarts after the fault's hold); any other
 * exit is a crash nobody asked for, restarted at once and reported (a finding, not noise).
 */
import type { Service } from "@trainer2/testkit";

export type Crash = { name: string; atMs: number; exit: string; tail: string };

const running = new Set<Supervisor>();

/** Ctrl-C: no supervisor restarts what the clean-up stops. */
export function stopAllSupervisors(): void {
  for (const supervisor of running) supervisor.stop();
}

export class Supervisor {
  readonly crashes: Crash[] = [];
  /** Services a fault killed, with the restart that fault waits on. */
  #killed = new Map<Service, Promise<void>>();
  #stopped = false;

  constructor(
    services: Service[],
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {
    running.add(this);
    for (const service of services) void this.#watch(service);
  }

  /** A fault: SIGKILL now, started again after `holdMs`. */
  async kill(service: Service, holdMs: number): Promise<void> {
    const restarted = (async () => {
      await service.kill("SIGKILL");
      await Bun.sleep(holdMs);
      if (!this.#stopped) await service.restart();
    })();
    this.#killed.set(service, restarted);
    try {
      await restarted;
    } finally {
      this.#killed.delete(service);
    }
  }

  /** No more restarts: the stage is closing. */
  stop(): void {
    this.#stopped = true;
    running.delete(this);
  }

  async #watch(service: Service): Promise<void> {
    for (;;) {
      const child = service.child;
      const exit = await child.exit;
      if (this.#stopped) return;
      const onPurpose = this.#killed.get(service);
      if (onPurpose) {
        await onPurpose.catch(() => {});
        continue;
      }
      // A restart already under way (stop, then start) replaced the child: watch the new one.
      if (service.child !== child) continue;
      const crash = {
        name: service.name,
        atMs: this.now(),
        exit: String(exit.code ?? exit.signal),
        tail: child.tail(),
      };
      this.crashes.push(crash);
      this.log(`${service.name} exited by itself (${crash.exit}); the supervisor restarts it`);
      const restarted = await service.restart().then(
        () => true,
        (error: Error) => {
          this.log(`${service.name} did not come back: ${error.message.split("\n")[0]}`);
          return false;
        },
      );
      if (!restarted || this.#stopped) return;
      this.log(`${service.name} is back`);
    }
  }
}
