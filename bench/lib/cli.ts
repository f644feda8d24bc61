/**
 * `bun bench/run.ts [--quick | --smoke] [--out <dir>] [--only a,b] [--api-workers N]`, parsed
 * with zod. `--smoke` is the test suite's run (profile.ts), recorded as a quick one.
 * `--api-workers N` (default 2; 1 leaves it out) repeats the capacity load and /state against
 * N api processes on one port, next to the one-process figures.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

export const scenarioNames = [
  "coldStart",
  "chatLatency",
  "streaming",
  "http",
  "capacity",
  "devDefault",
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

const flags = z.object({
  quick: z.boolean().default(false),
  smoke: z.boolean().default(false),
  apiWorkers: z.coerce
    .number({ message: "--api-workers: expected a number of processes" })
    .int("--api-workers: expected a whole number")
    .min(1, "--api-workers: at least 1")
    .max(16, "--api-workers: at most 16")
    .default(2),
  out: z.string().min(1, "--out: expected a directory").optional(),
  only: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return [...scenarioNames];
      const names = value.split(",").map((name) => name.trim());
      for (const name of names)
        if (!(scenarioNames as readonly string[]).includes(name))
          ctx.addIssue({
            code: "custom",
            message: `--only: unknown scenario "${name}" (expected ${scenarioNames.join(", ")})`,
          });
      return names as ScenarioName[];
    }),
});

export type Flags = z.infer<typeof flags>;

export function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      smoke: { type: "boolean" },
      out: { type: "string" },
      only: { type: "string" },
      "api-workers": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const { "api-workers": apiWorkers, ...rest } = values;
  const parsed = flags.safeParse({ ...rest, ...(apiWorkers === undefined ? {} : { apiWorkers }) });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}
