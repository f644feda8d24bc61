/**
 * A service kept running: a child that dies after it was healthy is started again from its
 * spec, after a pause that doubles with each crash in a row (and resets once a start has
 * stayed up a while). A child that dies before it was ever healthy (a syntax error after an
 * edit) is left down: starting it again would only fail again, until something changes.
 */
import { type Child, type ChildExit, type ChildSpec, startChild, stopChild } from "./child.ts";
import { waitForHealth } from "./health.ts";

export type KeeperOptions = {
  spec: ChildSpec;
  healthUrl: string;
  /** How the keeper reports what it does (bun dev prints it prefixed). */
  say: (line: string) => void;
  /** First pause before a restart; doubles per crash in a row up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** A start that stays healthy this long resets the pause. */
  stableMs?: number;
  /** How long a start may take to answer its health URL before it counts as failed. */
  startTimeoutMs?: number;
  /**
   * "after-ready" (default): a child that dies before it was ever healthy stays down (bun
   * dev: an edit broke it; the next edit starts it). "always": start it again regardless
   * (api workers, whose health URL is shared and cannot say which worker answered).
   */
  restart?: "after-ready" | "always";
};

export type Keeper = {
  /** The process now running (another one after each restart). */
  current(): Child;
  /** Stops it and starts a fresh one now (a file changed). */
  replace(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
};

export function keepRunning(options: KeeperOptions): Keeper {
  const { spec, say } = options;
  const firstDelayMs = options.firstDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const stableMs = options.stableMs ?? 30_000;
  let stopped = false;
  let crashesInARow = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Children stopped on purpose: their exit is no crash. */
  const retired = new WeakSet<Child>();
  let child = launch();

  function launch(): Child {
    const started = startChild(spec);
    let healthyAt: number | undefined;
    waitForHealth(started, options.healthUrl, {
      timeoutMs: options.startTimeoutMs ?? 180_000,
      pollMs: 300,
      quoteTail: false,
    }).then(
      () => {
        healthyAt = performance.now();
        if (crashesInARow > 0) say(`${spec.name} is back`);
      },
      () => {},
    );
    void started.exit.then((exit) => {
      if (stopped || retired.has(started) || child !== started) return;
      if (healthyAt === undefined && options.restart !== "always")
        return say(
          `${spec.name} exited (${exitText(exit)}) before it was ready; it starts again when you change its files`,
        );
      if (healthyAt !== undefined && performance.now() - healthyAt > stableMs) crashesInARow = 0;
      const delay = Math.min(firstDelayMs * 2 ** crashesInARow, maxDelayMs);
      crashesInARow += 1;
      say(`${spec.name} exited (${exitText(exit)}); restarting in ${(delay / 1000).toFixed(1)} s`);
      timer = setTimeout(() => {
        if (!stopped && child === started) child = launch();
      }, delay);
    });
    return started;
  }

  return {
    current: () => child,
    async replace() {
      clearTimeout(timer);
      const old = child;
      retired.add(old);
      await stopChild(old);
      if (stopped || child !== old) return;
      crashesInARow = 0;
      child = launch();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await stopChild(child);
    },
  };
}

const exitText = (exit: ChildExit) => String(exit.code ?? exit.signal ?? "unknown");
