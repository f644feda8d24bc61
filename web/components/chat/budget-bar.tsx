import type { Budget } from "@trainer2/shared/wire";
import "./budget-bar.css";

/** Shares left where the bar turns amber, then red (the text says it either way). */
const highShare = 0.3;
const lowShare = 0.1;

/** When the day's budget resets, in the person's own time: "00:00", or "Tue 01:00". */
function resetTime(resetsAt: string): string {
  const at = new Date(resetsAt);
  const sameDay = new Date().toDateString() === at.toDateString();
  return at.toLocaleString(undefined, {
    ...(sameDay ? {} : { weekday: "short" }),
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** What is left of today's token budget: a bar and the numbers. Nothing without a daily limit. */
export function BudgetBar({ budget }: { budget: Budget | null | undefined }) {
  if (!budget) return null;
  const { dailyTokens, usedTokens } = budget;
  const left = Math.max(0, dailyTokens - usedTokens);
  const text = `${left.toLocaleString()} of ${dailyTokens.toLocaleString()} tokens left`;
  return (
    <section aria-labelledby="budget-heading" data-testid="budget">
      <h2 id="budget-heading">Today's budget</h2>
      <meter
        className="budget-bar"
        aria-labelledby="budget-heading"
        aria-valuetext={text}
        min={0}
        max={dailyTokens}
        // Green above high, amber between, red under low (what the browser calls less good).
        low={dailyTokens * lowShare}
        high={dailyTokens * highShare}
        optimum={dailyTokens}
        value={left}
      />
      <p className="muted small" data-testid="budget-left">
        {text} · resets at {resetTime(budget.resetsAt)}
      </p>
    </section>
  );
}
