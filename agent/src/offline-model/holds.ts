/**
 * Held answers: a test arms the offline model so that its next long answer stops after a few
 * words and waits until the test releases it. "An answer is streaming right now" then holds
 * for as long as the test needs (a dropped socket, an expired token, a refused delete),
 * without racing a per-word delay against the clock; once released, the rest comes at once.
 */

export type HoldOptions = {
  /** Words sent before the answer stops (default 20). */
  afterWords?: number;
};

export type StreamHolds = {
  /** The next streamed text answer longer than `afterWords` words stops there until release. */
  arm(options?: HoldOptions): void;
  /** Resolves once an armed answer has stopped and is waiting (no polling needed). */
  whenHeld(): Promise<void>;
  /** Lets every waiting answer go on (and disarms one that has not started); how many. */
  release(): number;
  /** For the model's streams: the word count to stop after, if this answer is the armed one. */
  take(answerWords: number): number | undefined;
  /** For the model's streams: waits for release (or the client leaving, via `signal`). */
  hold(signal: AbortSignal): Promise<void>;
};

const defaultAfterWords = 20;

export function createStreamHolds(): StreamHolds {
  let armed: number | undefined;
  let waiting: (() => void)[] = [];
  let heldWaiters: (() => void)[] = [];

  return {
    arm(options = {}) {
      armed = options.afterWords ?? defaultAfterWords;
    },
    whenHeld() {
      if (waiting.length > 0) return Promise.resolve();
      return new Promise((resolve) => heldWaiters.push(resolve));
    },
    release() {
      armed = undefined;
      const released = waiting;
      waiting = [];
      for (const go of released) go();
      return released.length;
    },
    take(answerWords) {
      // Short answers (a tool call's arguments, a title) pass: the armed one is a long answer.
      if (armed === undefined || answerWords <= armed) return undefined;
      const afterWords = armed;
      armed = undefined;
      return afterWords;
    },
    hold(signal) {
      return new Promise((resolve) => {
        const go = () => resolve();
        waiting.push(go);
        signal.addEventListener(
          "abort",
          () => {
            waiting = waiting.filter((other) => other !== go);
            resolve();
          },
          { once: true },
        );
        const told = heldWaiters;
        heldWaiters = [];
        for (const tell of told) tell();
      });
    },
  };
}
