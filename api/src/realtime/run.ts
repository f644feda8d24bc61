/**
 * One run: the answer to one chat turn, from `run.started` to how it ended. It owns the
 * run's ids, its agent call (the request and its token), the text so far, its tool lines,
 * what it is charged (run-meter.ts), the turn's trace span and clock, the abort controller,
 * and the ending. The run lifecycle, the stream from the agent and the run's end read and
 * change it here rather than passing loose pieces around.
 */
import { endedStatus, type FailureCode, failures } from "@trainer2/shared/failures";
import type { Span } from "@trainer2/shared/telemetry";
import type {
  AgentItem,
  Message,
  MessageTool,
  RunRequest,
  ServerEvent,
} from "@trainer2/shared/wire";
import type { Charge, RunMeter } from "./run-meter.ts";

/** Why the api itself stopped a run (the abort reason of its controller). */
export class RunStop extends Error {
  constructor(
    readonly code: Extract<FailureCode, "cancelled" | "timeout" | "shutdown" | "budget_exceeded">,
  ) {
    super(code);
    this.name = "RunStop";
  }
}

/** The abort reason once the run has ended: closes the upstream response, ends nothing. */
export class RunDone extends Error {
  constructor() {
    super("the run ended");
    this.name = "RunDone";
  }
}

/** A tool call the run paused on, as the agent named it. */
export type PausedCall = { callId: string; name: string; arguments: Record<string, unknown> };

export type RunEnding =
  | { kind: "completed"; output: string; items: AgentItem[] }
  | { kind: "failed"; code: FailureCode; message: string }
  /** Paused until the person decides on `calls` (approvals.ts); `state` resumes it. */
  | { kind: "paused"; state: string; calls: PausedCall[] };

export type ToolLine = MessageTool & {
  /** The model's call id when the agent sent one: pairs a call's end with its start. */
  callId?: string;
};

export type RunIds = {
  runId: string;
  userId: string;
  sessionId: string;
  clientMsgId: string;
  /** The user's stored message: its text is the run's input, its seq bounds the history. */
  userMessage: Message;
  /** The assistant message the run writes, as stored when the turn began (streaming). */
  placeholder: Message;
};

type Base = { runId: string; sessionId: string; seq: number };

/** The run's call of the agent: what it sends, with the token that lets it act for the run. */
export type AgentCallPlan = { request: RunRequest; runToken: string; meter: RunMeter };

/** A run that ended before its agent was called: the failure it ended with. */
export const failedEnding = (code: FailureCode, message?: string): RunEnding => ({
  kind: "failed",
  code,
  message: message ?? failures[code].message,
});

export class Run {
  readonly runId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly clientMsgId: string;
  readonly userMessage: Message;
  readonly placeholder: Message;
  /** Aborts the agent's call. */
  readonly controller = new AbortController();
  /** The answer so far (what a resuming socket gets as one delta at offset 0). */
  text = "";
  /** Its tool lines so far, as the live events left them. */
  readonly tools: ToolLine[] = [];
  /** Seconds from the chat frame to the first text delta, once one arrived. */
  timeToFirstToken: number | undefined;
  /** Its agent call, once the run has one; a run that failed while starting has none. */
  agent: AgentCallPlan | undefined;
  ending: RunEnding | undefined;

  constructor(
    ids: RunIds,
    /** The turn's span: from the user's frame to the stored answer. */
    readonly span: Span,
    /** performance.now() when the chat frame arrived. */
    readonly startedAt: number,
  ) {
    this.runId = ids.runId;
    this.userId = ids.userId;
    this.sessionId = ids.sessionId;
    this.clientMsgId = ids.clientMsgId;
    this.userMessage = ids.userMessage;
    this.placeholder = ids.placeholder;
  }

  get input(): string {
    return this.userMessage.content;
  }
  get userSeq(): number {
    return this.userMessage.seq;
  }
  get messageId(): string {
    return this.placeholder.id;
  }
  /** seq of the assistant message the run writes. */
  get seq(): number {
    return this.placeholder.seq;
  }

  /** The fields every event of this run carries. */
  get base(): Base {
    return { runId: this.runId, sessionId: this.sessionId, seq: this.seq };
  }

  stop(code: RunStop["code"]): void {
    this.controller.abort(new RunStop(code));
  }

  /** What the run is charged now: every model call, reported or estimated (run-meter.ts). */
  charge(): Charge {
    return this.agent?.meter.charge(this.text.length) ?? { usage: undefined, estimatedTokens: 0 };
  }

  /** Adds streamed text; returns the `delta` event for the sockets. */
  appendText(text: string): Extract<ServerEvent, { type: "delta" }> {
    this.timeToFirstToken ??= (performance.now() - this.startedAt) / 1000;
    const offset = this.text.length;
    this.text += text;
    return { type: "delta", ...this.base, offset, text };
  }

  /** Records a live tool event (an end replaces its call's `started` line); returns the event. */
  recordTool(line: ToolLine): Extract<ServerEvent, { type: "tool" }> {
    const index =
      line.status === "started"
        ? -1
        : this.tools.findLastIndex(
            (t) =>
              t.status === "started" &&
              t.name === line.name &&
              (line.callId === undefined || t.callId === undefined || t.callId === line.callId),
          );
    if (index === -1) this.tools.push(line);
    else this.tools[index] = line;
    const { callId: _callId, ...shown } = line;
    return { type: "tool", ...this.base, ...shown };
  }

  /** Every line so far, running ones included: what a checkpoint saves. */
  shownTools(): MessageTool[] {
    return this.tools.map(({ callId: _callId, ...line }) => line);
  }

  /** The lines of calls that ended: what the stored answer keeps. */
  endedTools(): MessageTool[] {
    return this.tools.flatMap(({ callId: _callId, ...line }) =>
      line.status === "started" ? [] : [line],
    );
  }

  /**
   * The stored row of this run's answer as it really is now: ended once the run ended (even
   * while the database is down and the final write waits), else with the text so far.
   */
  current(stored: Message): Message {
    const ending = this.ending;
    if (!ending) return { ...stored, content: this.text, tools: this.shownTools() };
    const tools = this.endedTools();
    if (ending.kind === "completed")
      return { ...stored, status: "complete", content: ending.output || this.text, tools };
    if (ending.kind === "paused")
      return { ...stored, status: "awaiting_approval", content: this.text, tools };
    return {
      ...stored,
      status: endedStatus(ending.code, this.text),
      content: this.text,
      errorCode: ending.code,
      tools,
    };
  }

  /** `run.started`, as the sockets got it. */
  startedEvent(): Extract<ServerEvent, { type: "run.started" }> {
    return { type: "run.started", ...this.base, clientMsgId: this.clientMsgId };
  }

  /** `run.completed` or `run.failed`, once the run has ended. */
  endEvent(): Extract<ServerEvent, { type: "run.completed" | "run.failed" }> | undefined {
    const ending = this.ending;
    // A paused run has not ended: its approval.requested events say what it waits for.
    if (!ending || ending.kind === "paused") return undefined;
    if (ending.kind === "completed")
      return { type: "run.completed", ...this.base, messageId: this.messageId };
    return { type: "run.failed", ...this.base, code: ending.code, message: ending.message };
  }

  /**
   * Where the run is, for a socket that starts following the session late (on another api
   * process): the turn's messages as they are now, and how it ended if it has. Each event may
   * repeat what the socket has; clients keep one copy by seq and offset.
   */
  catchUp(): ServerEvent[] {
    const sessionId = this.sessionId;
    const end = this.endEvent();
    return [
      { type: "message", sessionId, message: this.userMessage },
      ...(end ? [] : [this.startedEvent()]),
      { type: "message", sessionId, message: this.current(this.placeholder) },
      ...(end ? [end] : []),
    ];
  }

  /** The lines of calls still running. */
  runningTools(): MessageTool[] {
    return this.tools.flatMap(({ callId: _callId, ...line }) =>
      line.status === "started" ? [line] : [],
    );
  }
}
