/**
 * What a run is charged: every model call it made, as the provider reported it, or, for the
 * call it was in when it ended without a report (stopped, timed out, the agent crashed or
 * broke off), an estimate made the way the reservation estimates one call: that call's input
 * (the reservation's estimate, or the last reported call's input when that is larger: a
 * later call's input holds the earlier ones) plus the text streamed since the last report, at
 * about four characters a token, capped at the answer cap.
 *
 * The agent reports the run's usage so far after each model call (`usage` events, running
 * totals) and its settled total with `completed`, `approval.required` and `failed`. A model
 * call is in flight once the agent accepted the run (its /run answered 200: it calls the model
 * at once), again after each tool call ended (the model is called with its output), and no
 * longer once a report came (the agent reports a call when it ends, so text after a report
 * and before a tool round belongs to the call reported). A run that completed or paused has
 * nothing in flight; a run that never reached the agent made no call: it costs 0.
 */
import type { Usage } from "@trainer2/shared/wire";

const charsPerToken = 4;

export type Charge = { usage: Usage | undefined; estimatedTokens: number };

export class RunMeter {
  private reported: Usage | undefined;
  private lastCallInput = 0;
  private charsAtReport: number;
  private inFlight = false;

  constructor(
    /** The estimate of one call's input (the reservation's, or the request's size). */
    private readonly inputEstimate: () => number,
    /** The cap on each model answer, in tokens. */
    private readonly maxOutputTokens: number,
    /** Text the answer had before this run streamed any (a resumed run's). */
    startChars = 0,
  ) {
    this.charsAtReport = startChars;
  }

  /** What the agent reported so far (its running total). */
  get usage(): Usage | undefined {
    return this.reported;
  }

  /** A running total after a model call ended; `chars`: the answer's length at that moment. */
  report(usage: Usage, chars: number): void {
    this.lastCallInput = Math.max(0, usage.inputTokens - (this.reported?.inputTokens ?? 0));
    this.reported = usage;
    this.charsAtReport = chars;
    this.inFlight = false;
  }

  /** The agent accepted the run: its first model call is under way. */
  accepted(): void {
    this.inFlight = true;
  }

  /** A tool call ended: the model is called again with its output. */
  toolEnded(): void {
    this.inFlight = true;
  }

  /**
   * The agent's settled total at the run's end: it replaces the running one. A run that
   * completed or paused ended every call; a failed run's total larger than the running one
   * holds the call that was in flight (the provider reported it).
   */
  settled(usage: Usage, ended: "completed" | "paused" | "failed"): void {
    const total = (u: Usage | undefined) => (u ? u.inputTokens + u.outputTokens : 0);
    if (ended !== "failed" || total(usage) > total(this.reported)) this.inFlight = false;
    this.reported = usage;
  }

  /** The next call's estimate: what a run going on to another model call must have room for. */
  nextCall(): number {
    return this.nextCallInput() + this.maxOutputTokens;
  }

  /** The run's charge now; `chars`: the answer's length. */
  charge(chars: number): Charge {
    if (!this.inFlight) return { usage: this.reported, estimatedTokens: 0 };
    const input = this.nextCallInput();
    const streamed = Math.max(0, chars - this.charsAtReport);
    const output = Math.min(this.maxOutputTokens, Math.ceil(streamed / charsPerToken));
    const usage: Usage = {
      ...(this.reported ?? {}),
      inputTokens: (this.reported?.inputTokens ?? 0) + input,
      outputTokens: (this.reported?.outputTokens ?? 0) + output,
    };
    return { usage, estimatedTokens: input + output };
  }

  private nextCallInput(): number {
    return Math.max(this.inputEstimate(), this.lastCallInput);
  }
}

/** The estimate of one call's input from the request itself (when no reservation made one). */
export function requestInputTokens(input: string, history: unknown[]): number {
  return Math.ceil((input.length + JSON.stringify(history).length) / charsPerToken);
}
