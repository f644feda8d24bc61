import { defineSuite } from "../lib/define.ts";

export default defineSuite({
  behaviour: "Saves what the person says about their goal and experience to their profile.",
  cases: [
    {
      name: "sets a running goal",
      turns: [
        {
          user: "My goal is to run a 10k in under an hour.",
          tools: [{ name: "update_profile", args: { goals: /10k/i } }],
          onlyThese: true,
          answer: { matches: [/goal|profile/i], notMatches: [/couldn't|error/i] },
        },
      ],
      after: { profile: { goals: /10k in under an hour/i } },
    },
    {
      name: "records the experience level",
      turns: [
        {
          user: "I'm a beginner.",
          tools: [{ name: "update_profile", args: { experienceLevel: "beginner" } }],
          onlyThese: true,
        },
      ],
      after: { profile: { experienceLevel: "beginner", goals: null } },
    },
  ],
});
