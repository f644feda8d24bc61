import { defineSuite } from "../lib/define.ts";

const readsTheWeek = { name: /^(get_training_summary|list_workouts)$/ };

export default defineSuite({
  behaviour: "Summarises the week from the logged workouts, never from invention.",
  cases: [
    {
      name: "summarises a week with two workouts",
      turns: [
        { user: "Log a 30 minute run.", tools: [{ name: "log_workout" }] },
        { user: "Log a 45 minute ride.", tools: [{ name: "log_workout" }] },
        {
          user: "What did I do this week?",
          tools: [readsTheWeek],
          answer: { matches: [/\b(2|two)\b/i], notMatches: [/couldn't|error/i] },
        },
      ],
      after: { workouts: { count: 2 } },
      rubric:
        "The last answer summarises exactly the two logged workouts (a 30 minute run and a 45 minute ride) without inventing others, and is encouraging.",
    },
    {
      name: "says so kindly when nothing was logged",
      turns: [
        {
          user: "What did I do this week?",
          tools: [readsTheWeek],
          answer: { matches: [/\b(0|no|nothing|zero|none)\b/i] },
        },
      ],
      after: { workouts: { count: 0 } },
    },
  ],
});
