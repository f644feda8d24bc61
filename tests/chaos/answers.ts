/**
 * What a tab pieced together of each answer, as the web client does (by `seq` and `offset`,
 * the stored `message` events filling in what a resume brings), and what in its stream was
 * out of order, doubled, missing or contradicting: the client-side half of invariant 3.
 */
import type { ServerEvent } from "@trainer2/shared/wire";

export type ShownAnswer = {
  runId: string;
  sessionId: string;
  text: string;
  /** The tab saw `run.completed` for it, or its stored `message` as complete. */
  completed: boolean;
  /** What in the tab's stream of this answer was wrong, one line each. */
  problems: string[];
  /** Resume deltas at offset 0 that repeated text the tab had (allowed, see `delta`). */
  repeats: number;
};

class Held {
  text = "";
  completed = false;
  problems: string[] = [];
  repeats = 0;
  /** Where the next delta must start, once a delta has been seen. */
  #nextOffset: number | undefined;

  constructor(
    readonly runId: string,
    readonly sessionId: string,
  ) {}

  message(content: string, complete: boolean) {
    if (!content.startsWith(this.text) && !this.text.startsWith(content))
      this.problems.push(`stored message disagrees with the text shown at ${this.text.length}`);
    if (content.length > this.text.length) this.text = content;
    if (complete) this.completed = true;
  }

  delta(offset: number, text: string) {
    // A gap is no finding by itself (a stored message may fill it, as on the page); an answer
    // left short by one fails the comparison with what is stored.
    // A resume answers with the text so far as one delta at offset 0 (resume.ts), which may
    // repeat live deltas the new socket already had: counted, and judged by its text only.
    const resumeRepeat = offset === 0 && text.startsWith(this.text.slice(0, text.length));
    if (resumeRepeat && this.#nextOffset) this.repeats += 1;
    else if (this.#nextOffset !== undefined && offset < this.#nextOffset)
      this.problems.push(`delta at ${offset} again or back (expected ${this.#nextOffset})`);
    this.#nextOffset = Math.max(this.#nextOffset ?? 0, offset + text.length);
    if (offset > this.text.length) return;
    const overlap = this.text.slice(offset, offset + text.length);
    if (!text.startsWith(overlap)) this.problems.push(`delta disagrees at ${offset}`);
    this.text += text.slice(this.text.length - offset);
  }
}

export function answersShown(events: ServerEvent[]): ShownAnswer[] {
  const held = new Map<string, Held>();
  const get = (runId: string, sessionId: string) => {
    let answer = held.get(runId);
    if (answer) return answer;
    answer = new Held(runId, sessionId);
    held.set(runId, answer);
    return answer;
  };
  for (const event of events) {
    if (event.type === "message" && event.message.role === "assistant" && event.message.runId)
      get(event.message.runId, event.sessionId).message(
        event.message.content,
        event.message.status === "complete",
      );
    if (event.type === "delta") get(event.runId, event.sessionId).delta(event.offset, event.text);
    if (event.type === "run.completed") get(event.runId, event.sessionId).completed = true;
  }
  return [...held.values()].map(({ runId, sessionId, text, completed, problems, repeats }) => ({
    runId,
    sessionId,
    text,
    completed,
    problems,
    repeats,
  }));
}

/**
 * One answer's events as this tab got them, compact (`message 206 streaming`, `delta 206+12`,
 * `run.completed`): kept with a violation, so the gap or the jump can be read afterwards.
 */
export function traceOf(events: ServerEvent[], runId: string): string {
  const steps: string[] = [];
  for (const event of events) {
    if (event.type === "message" && event.message.runId === runId)
      steps.push(`message ${event.message.content.length} ${event.message.status}`);
    else if (event.type === "delta" && event.runId === runId)
      steps.push(`delta ${event.offset}+${event.text.length}`);
    else if (
      (event.type === "run.completed" || event.type === "run.failed") &&
      event.runId === runId
    )
      steps.push(event.type === "run.failed" ? `run.failed ${event.code}` : event.type);
    else if (event.type === "ready") steps.push("ready");
  }
  return steps.join(", ");
}
