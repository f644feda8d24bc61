/**
 * The cap on one answer's tokens, as OpenAI honours it: `max_output_tokens` (Responses) or
 * `max_completion_tokens` / `max_tokens` (Chat Completions). The offline model's tokens are
 * words, so a capped text answer stops after that many words; the caller says it was cut
 * (Responses: status `incomplete`; Chat Completions: finish_reason `length`).
 */
import type { Decision } from "./brain.ts";
import { words } from "./streaming.ts";

type Json = Record<string, unknown>;

/** The request's cap on output tokens, if it set a positive whole one. */
export function maxOutputTokensOf(body: Json): number | undefined {
  const cap = body.max_output_tokens ?? body.max_completion_tokens ?? body.max_tokens;
  return typeof cap === "number" && Number.isInteger(cap) && cap > 0 ? cap : undefined;
}

/** The decision within the cap: a longer text answer keeps its first `cap` words. */
export function capAnswer(
  decision: Decision,
  cap: number | undefined,
): { decision: Decision; truncated: boolean } {
  if (cap === undefined || decision.type !== "text") return { decision, truncated: false };
  const all = words(decision.text).filter((word) => word.trim() !== "");
  if (all.length <= cap) return { decision, truncated: false };
  return {
    decision: { type: "text", text: all.slice(0, cap).join("").trimEnd() },
    truncated: true,
  };
}
