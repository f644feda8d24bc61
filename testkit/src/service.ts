/**
 * One service as a real child process on its own port: started through the supervisor,
 * up when its /health answers 200, and easy to kill -9 and start again on the same port with
 * the same environment. Its output tail is in every failure message.
 */
import {
  type Child,
  type ChildExit,
  type ChildSpec,
  killChild,
  startChild,
  stopChild,
  waitForHealth,
} from "@trainer2/shared/processes";

export type ServiceSpec = ChildSpec & {
  port: number;
  /** Default 60 s. */
  startTimeoutMs?: number;
  /** Pause between /health tries; the bench measures cold starts, so it polls every 5 ms. */
  healthPollMs?: number;
};

export class Service {
  readonly url: string;
  #child: Child;
  #startMs = Number.NaN;

  private constructor(
    readonly spec: ServiceSpec,
    child: Child,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    this.#child = child;
  }

  /** Starts the process and resolves once it is healthy; stops it again when it is not. */
  static async start(spec: ServiceSpec): Promise<Service> {
    const service = Service.spawn(spec);
    await service.healthy();
    return service;
  }

  /** Starts the process without waiting for it: for a test that watches it start up. */
  static spawn(spec: ServiceSpec): Service {
    return new Service(spec, startChild(spec));
  }

  get name(): string {
    return this.spec.name;
  }
  get port(): number {
    return this.spec.port;
  }
  /** The process now running (another one after `restart`). */
  get child(): Child {
    return this.#child;
  }
  get pid(): number {
    return this.#child.pid;
  }
  /** Milliseconds from spawn to the first 200 on /health, of the latest start. */
  get startMs(): number {
    return this.#startMs;
  }

  /** The last lines the current process printed. */
  tail(): string {
    return this.#child.tail();
  }

  /** Resolves with the first line (already printed, or still to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const child = this.#child;
    const seen = child
      .tail()
      .split("\n")
      .find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.name} printed no line matching ${pattern}:\n${child.tail()}`)),
        timeoutMs,
      );
      child.onLine((line) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** SIGTERM to its process group, SIGKILL after the grace period. */
  stop(): Promise<void> {
    return stopChild(this.#child);
  }

  /** `kill -9` (or `signal`) to its whole process group; resolves once it has exited. */
  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<ChildExit> {
    return killChild(this.#child, signal);
  }

  /** Starts it again from the same spec (port, environment), stopping it first if it runs. */
  async restart(): Promise<void> {
    if (!this.#child.exited()) await this.stop();
    this.#child = startChild(this.spec);
    await this.healthy();
  }

  /** Resolves once /health answers 200; stops the process and throws when it never does. */
  async healthy(): Promise<void> {
    try {
      const healthy = await waitForHealth(this.#child, `${this.url}/health`, {
        timeoutMs: this.spec.startTimeoutMs ?? 60_000,
        pollMs: this.spec.healthPollMs ?? 50,
        requestTimeoutMs: 1000,
      });
      this.#startMs = healthy.msSinceSpawn;
    } catch (error) {
      await stopChild(this.#child);
      throw error;
    }
  }
}
