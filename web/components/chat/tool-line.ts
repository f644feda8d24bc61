import type { ToolLine } from "@/lib/realtime/chat-state";

/**
 * A tool line reads as the sentence it came with: the tool's own wording, published with its
 * definition (running, done, failed) or the tool's error message. Lines stored before tools
 * published their wording have none: they read from the tool's name.
 */
export function toolText(line: ToolLine): string {
  if (line.summary) return line.summary;
  const label = line.name.replaceAll("_", " ");
  if (line.status === "started") return `Using ${label}…`;
  if (line.status === "ok") return `Used ${label}`;
  return `${label} failed`;
}
