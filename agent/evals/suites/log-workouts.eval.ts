import { defineSuite } from "../lib/define.ts";

export default defineSuite({
  behaviour: "Logs the workouts the person reports, with the details they gave, one per request.",
  cases: [
    {
      name: "logs a run with its duration",
      turns: [
        {
          user: "Please log a 30 minute run.",
          tools: [{ name: "log_workout", args: { kind: /run/i, durationMin: 30 } }],
          onlyThese: true,
          answer: { matches: [/30/], notMatches: [/couldn't|error/i] },
        },
      ],
      after: { workouts: { count: 1, include: [{ kind: /run/i, durationMin: 30 }] } },
    },
    {
      name: "logs two workouts in two turns",
      turns: [
        {
          user: "Log a 45 minute ride.",
          tools: [{ name: "log_workout", args: { durationMin: 45 } }],
          onlyThese: true,
        },
        {
          user: "Log a 20 minute swim.",
          tools: [{ name: "log_workout", args: { kind: /swim/i, durationMin: 20 } }],
          onlyThese: true,
        },
      ],
      after: {
        workouts: {
          count: 2,
          include: [{ kind: /ride|cycl|bike/i, durationMin: 45 }, { kind: /swim/i }],
        },
      },
    },
  ],
});
