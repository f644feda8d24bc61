/**
 * The offline model measured directly, without api or agent: time to first token and the
 * arrival of every token of a streamed Chat Completion. Subtracting these from what a
 * WebSocket client sees gives what the stack adds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { offlineModelName } from "@trainer2/agent/offline-model";
import { repoRoot } from "@trainer2/testkit";

export type ModelTiming =
  | { ok: true; ttftMs: number; tokenTimes: number[]; doneMs: number }
  | { ok: false; reason: string };

/** Roughly what the agent sends: its system prompt and the user's text. */
function requestBody(text: string): string {
  let system = "You are a helpful trainer.";
  try {
    system = readFileSync(join(repoRoot, "agent/instructions/system.md"), "utf8");
  } catch {}
  return JSON.stringify({
    model: offlineModelName,
    stream: true,
    messages: [
      { role: "system", content: system },
      { role: "user", content: text },
    ],
  });
}

/** Content of one SSE `data:` line of a chat.completion.chunk, or undefined. */
function contentOf(data: string): string | undefined {
  if (data === "[DONE]") return undefined;
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = chunk.choices?.[0]?.delta?.content;
    return typeof content === "string" && content.length > 0 ? content : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text of each token of a streamed Chat Completion (its SSE body), with when the bytes
 * that carried it were read (performance.now(), before any parsing).
 */
export async function* streamedContent(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ content: string; readAt: number }> {
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = body.getReader();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) return;
    const readAt = performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      const content = line.startsWith("data:") ? contentOf(line.slice(5).trim()) : undefined;
      if (content !== undefined) yield { content, readAt };
      newline = buffer.indexOf("\n");
    }
  }
}

export async function probeModel(
  baseUrl: string,
  text: string,
  timeoutMs: number,
): Promise<ModelTiming> {
  const body = requestBody(text);
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200 || !response.body)
      return { ok: false, reason: `model answered ${response.status}` };
    const tokenTimes: number[] = [];
    for await (const { readAt } of streamedContent(response.body))
      tokenTimes.push(readAt - started);
    if (tokenTimes.length === 0) return { ok: false, reason: "model sent no tokens" };
    return { ok: true, ttftMs: tokenTimes[0]!, tokenTimes, doneMs: performance.now() - started };
  } catch (error) {
    return { ok: false, reason: `model request failed: ${(error as Error).message}` };
  }
}
