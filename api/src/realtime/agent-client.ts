/**
 * The api side of the agent's `POST /run`: a streamed NDJSON response, each line one
 * `runStreamEvent`. Transport problems become `AgentFailure`s with the run.failed code the
 * client will see; an abort surfaces as the abort's reason so the caller knows who stopped it.
 */
import { type FailureCode, failures } from "@trainer2/shared/failures";
import { type RunRequest, type RunStreamEvent, runStreamEvent } from "@trainer2/shared/wire";

export class AgentFailure extends Error {
  constructor(
    readonly code: FailureCode,
    message: string = failures[code].message,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AgentFailure";
  }
}

const maxLineLength = 1024 * 1024;

function failureForStatus(status: number): AgentFailure {
  if (status === 502 || status === 503 || status === 504)
    return new AgentFailure("agent_unavailable");
  return new AgentFailure("agent_error", `The trainer refused the request (HTTP ${status}).`);
}

function parseLine(line: string): RunStreamEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new AgentFailure("agent_error", "The trainer sent an unreadable event.", {
      cause: error,
    });
  }
  const parsed = runStreamEvent.safeParse(json);
  if (!parsed.success)
    throw new AgentFailure("agent_error", "The trainer sent an event of an unknown shape.", {
      cause: parsed.error,
    });
  return parsed.data;
}

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) yield line;
        newline = buffer.indexOf("\n");
      }
      if (buffer.length > maxLineLength)
        throw new AgentFailure("agent_error", "The trainer sent an oversized event.");
    }
    const rest = (buffer + decoder.decode()).trim();
    if (rest) yield rest;
  } finally {
    reader.releaseLock();
  }
}

export type StreamRunOptions = {
  agentUrl: string;
  request: RunRequest;
  runToken: string;
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** The agent accepted the run (its response began): it is calling the model now. */
  onAccepted?: () => void;
};

/** Yields the agent's events as they arrive; throws AgentFailure or the abort reason. */
export async function* streamRun(options: StreamRunOptions): AsyncGenerator<RunStreamEvent> {
  const { signal } = options;
  const rethrow = (error: unknown, failure: AgentFailure): never => {
    if (signal.aborted) throw signal.reason;
    if (error instanceof AgentFailure) throw error;
    throw failure;
  };
  let response: Response;
  try {
    response = await fetch(new URL("/run", options.agentUrl), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/x-ndjson",
        authorization: `Bearer ${options.runToken}`,
        ...options.headers,
      },
      body: JSON.stringify(options.request),
      signal,
    });
  } catch (error) {
    return rethrow(error, new AgentFailure("agent_unavailable", undefined, { cause: error }));
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw failureForStatus(response.status);
  }
  options.onAccepted?.();
  try {
    for await (const line of lines(response.body)) yield parseLine(line);
  } catch (error) {
    rethrow(
      error,
      new AgentFailure("agent_error", "The connection to the trainer broke.", { cause: error }),
    );
  }
}
