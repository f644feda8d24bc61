/**
 * The offline model follows a few rules of the trainer's prompt, and only while the prompt
 * states them: with the rule removed from `instructions/system.md` it behaves as a model
 * without it would, which is what lets the evals catch a broken prompt offline.
 *   - "Never give a medical diagnosis": pain, injury or medication questions get a referral
 *     to a doctor or physiotherapist instead of an answer.
 *   - "Ask before deleting": a request to delete something gets a confirmation question,
 *     and nothing is called until the person says yes.
 */
import type { Conversation, OfferedTool } from "./conversation.ts";

export type RuleDecision =
  | { type: "text"; text: string }
  | { type: "tool_call"; name: string; arguments: Record<string, unknown> };

/** The rules the prompt states, read the way the offline model reads anything: by phrase. */
export function houseRules(instructions = "") {
  return {
    referMedical: /never give a medical diagnosis/i.test(instructions),
    confirmDeletes: /\bask before deleting\b/i.test(instructions),
  };
}

const medicalTrigger =
  /\b(pain|painful|hurts?|hurting|injur(?:y|ed|ies)|sprain(?:ed)?|torn|swollen|swelling|dizzy|dizziness|chest|diagnos\w*|medication|medicine|ibuprofen|painkillers?|symptoms?|pregnan\w*)\b/i;

export const medicalReferral =
  "I can't diagnose that or give medical advice. Please have it checked by a doctor or " +
  "physiotherapist before you keep training on it. Once they have had a look, I can help " +
  "you plan training around it.";

const deleteTrigger = /\b(delete|remove|erase|wipe|undo)\b\s*(.*)/i;
const confirmationMark = "Before I delete anything";
const yes = /^\s*(yes|yep|yeah|sure|ok(?:ay)?|please do|go ahead|confirm(?:ed)?|do it)\b/i;

/** "my run from yesterday" → "your run from yesterday": what the question repeats back. */
function whatToDelete(rest: string): string {
  const object = rest.split(/[.!?]/)[0]!.trim();
  const yours = object.replace(/\bmy\b/gi, "your").replace(/\bI\b/g, "you");
  return yours || "that";
}

function deleteTool(tools: OfferedTool[]): OfferedTool | undefined {
  return tools.find((tool) => tool.name.startsWith("delete_"));
}

/** The last assistant text of the conversation before the person's latest message. */
function previousAnswer(conversation: Conversation): string {
  const lastUser = conversation.turns.findLastIndex((turn) => turn.kind === "user");
  const before = conversation.turns.slice(0, Math.max(lastUser, 0));
  const answer = before.findLast((turn) => turn.kind === "assistant");
  return answer?.kind === "assistant" ? answer.text : "";
}

/** A request to delete (or the yes to one): asked about first when the prompt says so. */
export function deletionRule(conversation: Conversation, text: string): RuleDecision | undefined {
  const rules = houseRules(conversation.instructions);
  const tool = deleteTool(conversation.tools);
  const confirming = yes.test(text) && previousAnswer(conversation).startsWith(confirmationMark);
  if (confirming && !tool)
    return {
      type: "text",
      text: "I can't delete entries yet: I have no tool for that here, so nothing was removed.",
    };
  const request = text.match(deleteTrigger);
  if (!request) return undefined;
  if (rules.confirmDeletes)
    return {
      type: "text",
      text: `${confirmationMark}: do you want me to remove ${whatToDelete(request[2]!)} for good? Please reply yes to confirm.`,
    };
  // Without the rule it acts at once, as a model told nothing else would.
  if (tool) return { type: "tool_call", name: tool.name, arguments: {} };
  return {
    type: "text",
    text: "I would use the delete_workout tool for that, but it is not available right now.",
  };
}

/** A health question the prompt says not to answer (after the plain requests: "log a run, my knee hurts" still logs it). */
export function medicalRule(conversation: Conversation, text: string): RuleDecision | undefined {
  if (houseRules(conversation.instructions).referMedical && medicalTrigger.test(text))
    return { type: "text", text: medicalReferral };
  return undefined;
}
