/**
 * A turn refused by a budget, as the person's socket gets it: `error` with code
 * `budget_exceeded`, the limit hit and when it resets (details beside the sentence, so a
 * client can word it in the person's own time zone), and the frame's clientMsgId.
 */
import type { ReserveOutcome } from "@trainer2/db/queries/budgets";
import { AppError } from "@trainer2/shared/errors";

type Refused = Extract<ReserveOutcome, { refused: string }>;

const count = (n: number) => n.toLocaleString("en-US");

/** "2026-12-01 00:00 UTC" in the budget's zone (the server's sentence; the web shows local time). */
export function whenInZone(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const seconds = part("second") === "00" ? "" : `:${part("second")}`;
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}${seconds} ${part("timeZoneName")}`;
}

export function refusalSentence(outcome: Refused, timeZone: string): string {
  const { limit } = outcome;
  const when = outcome.resetsAt ? whenInZone(outcome.resetsAt, timeZone) : "";
  switch (outcome.refused) {
    case "daily_tokens":
      return (
        `Not enough of today's budget of ${count(limit)} tokens is left for another answer ` +
        `(${count(outcome.usedToday)} used). It resets at ${when}.`
      );
    case "turns_per_minute":
      return `You have sent ${count(limit)} messages in the last minute, the most allowed. Try again at ${when}.`;
    case "concurrent_runs":
      return `${limit === 1 ? "An answer is" : `${count(limit)} answers are`} already being written for you, the most at once. Send this when one has finished.`;
  }
}

/** The refusal the turn raises before it stores anything. */
export function refusalError(
  outcome: Refused,
  timeZone: string,
  clientMsgId: string | null,
): AppError {
  return new AppError("budget_exceeded", refusalSentence(outcome, timeZone), {
    details: {
      // A resumed run answers no frame of its own.
      ...(clientMsgId === null ? {} : { clientMsgId }),
      limit: outcome.refused,
      ...(outcome.resetsAt ? { resetsAt: outcome.resetsAt.toISOString() } : {}),
    },
  });
}
