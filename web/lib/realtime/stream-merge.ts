/**
 * How live pieces of an answer join what the page holds (text at an offset, tool lines):
 * pure helpers of chat-state.ts.
 */
import type { ToolLine } from "./chat-state";

/**
 * Append only the part of `text` (at `offset`) this item does not have yet. Text beyond a
 * gap is dropped: after a reconnect, live deltas can arrive before the resume's catch-up
 * delta (offset 0, everything so far), which then fills the gap in the right place.
 */
export function appendAt(content: string, offset: number, text: string): string {
  if (offset > content.length) return content;
  const end = offset + text.length;
  if (end <= content.length) return content;
  return content + text.slice(content.length - offset);
}

/** A tool line: a new call appends; its end replaces the line it started. */
export function upsertTool(tools: ToolLine[], line: ToolLine): ToolLine[] {
  if (line.status !== "started") {
    const index = tools.findLastIndex((t) => t.name === line.name && t.status === "started");
    if (index !== -1) return tools.map((t, i) => (i === index ? line : t));
  }
  return [...tools, line];
}
