/**
 * The summary of a finished tool call, as the agent streams it live and the api rebuilds it
 * from the audit trail for history: one rule, so a reload shows what the live page showed.
 */
export function toolCallSummary(
  name: string,
  outcome: { ok: true } | { ok: false; message: string | undefined },
): string | undefined {
  return outcome.ok ? `${name} done` : outcome.message || undefined;
}
