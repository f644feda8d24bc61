import { failureMessage } from "@trainer2/shared/failures";
import type { ChatItem } from "@/lib/realtime/chat-state";

/**
 * How an answer that ended early reads, by the code the api sent live (`run.failed`) or
 * stored with the message (`errorCode`): the failure registry's sentence, so a reload says
 * what the live page said and the wording matches what the agent and api send. A message a
 * budget refused says which limit and when it resets, in the person's own time.
 */
export const genericFailure = "This answer could not be completed.";

export function failureText(error: ChatItem["error"], now = Date.now()): string {
  if (!error) return genericFailure;
  if (error.code === "budget_exceeded") return budgetText(error, now);
  return failureMessage(error.code);
}

/** "14:05" today, "Tue 00:00" another day; with seconds when the wait is under a few minutes. */
function clock(at: Date, now: number): string {
  const soon = at.getTime() - now < 5 * 60_000;
  const sameDay = new Date(now).toDateString() === at.toDateString();
  return at.toLocaleString(undefined, {
    ...(sameDay ? {} : { weekday: "short" }),
    hour: "2-digit",
    minute: "2-digit",
    ...(soon ? { second: "2-digit" } : {}),
  });
}

/** "in 3 h 20 min", "in 40 s". */
function wait(at: Date, now: number): string {
  const seconds = Math.max(1, Math.ceil((at.getTime() - now) / 1000));
  if (seconds < 90) return `in ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

export function budgetText(error: NonNullable<ChatItem["error"]>, now = Date.now()): string {
  const at = error.resetsAt ? new Date(error.resetsAt) : undefined;
  const when = at ? `${clock(at, now)} (${wait(at, now)})` : "";
  switch (error.limit) {
    case "daily_tokens":
      return `Not sent: today's token budget is used up. It resets at ${when}.`;
    case "turns_per_minute":
      return `Not sent: that is the most messages allowed in a minute. Try again at ${when}.`;
    case "concurrent_runs":
      return "Not sent: another answer is still being written for you. Send this when it has finished.";
    default:
      return error.message ?? failureMessage(error.code);
  }
}
