import type { WeekSummary } from "@trainer2/shared/wire";
import { useId } from "react";

/** Geometry of the chart, in SVG units (it scales with the panel). */
const width = 280;
const height = 120;
const top = 14;
const bottom = 18;
const gap = 6;
/** An empty or light history still shows bars of a sensible height: the scale starts at an hour. */
const minScale = 60;

const weekLabel = (weekStart: string) =>
  new Date(`${weekStart}T12:00:00Z`).toLocaleDateString("en", {
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });

/**
 * Training minutes per week, the last 8, oldest first: from the state (the same query as the
 * get_training_summary tool), so it changes as soon as a workout is logged. An SVG with a
 * title and a description that reads every week out, for screen readers.
 */
export function TrainingChart({ weeks }: { weeks: WeekSummary[] }) {
  const id = useId();
  if (weeks.length === 0) return null;
  const scale = Math.max(minScale, ...weeks.map((week) => week.minutes));
  const slot = width / weeks.length;
  const chartHeight = height - top - bottom;
  const thisWeek = weeks.at(-1)!;
  return (
    <figure className="chart" data-testid="training-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>Training minutes per week, last {weeks.length} weeks</title>
        <desc id={`${id}-desc`}>
          {weeks
            .map((week) => `Week of ${weekLabel(week.weekStart)}: ${week.minutes} minutes`)
            .join(". ")}
        </desc>
        <line
          className="baseline"
          x1={0}
          x2={width}
          y1={top + chartHeight}
          y2={top + chartHeight}
        />
        {weeks.map((week, index) => {
          const barHeight = (week.minutes / scale) * chartHeight;
          const x = index * slot + gap / 2;
          const y = top + chartHeight - barHeight;
          return (
            <g key={week.weekStart} data-testid="chart-week" data-minutes={week.minutes}>
              <rect
                className={week === thisWeek ? "bar current" : "bar"}
                x={x}
                y={y}
                width={slot - gap}
                height={Math.max(barHeight, week.minutes > 0 ? 2 : 0)}
                rx={2}
              />
              {week.minutes > 0 ? (
                <text className="value" x={x + (slot - gap) / 2} y={y - 3} textAnchor="middle">
                  {week.minutes}
                </text>
              ) : null}
              <text className="label" x={x + (slot - gap) / 2} y={height - 4} textAnchor="middle">
                {weekLabel(week.weekStart)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small" data-testid="chart-this-week">
        This week: {thisWeek.minutes} min in {thisWeek.workouts} workout
        {thisWeek.workouts === 1 ? "" : "s"}
      </figcaption>
    </figure>
  );
}
