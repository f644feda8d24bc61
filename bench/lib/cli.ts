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

export type Flags = z.infer<typeof flags> & { help?: boolean };

export const benchUsage = `usage: bun run bench [--quick] [--only a,b] [--api-workers N] [--out <dir>]
  --quick          a smoke run of every scenario in under a minute (numbers not compared)
  --only a,b       run these scenarios only: ${scenarioNames.join(", ")}
  --api-workers N  also measure the capacity load and /state on N api processes (default 2; 1: off)
  --out <dir>      where the JSON and report go (default bench/results)
  DATABASE_URL     a real Postgres to measure on (else the embedded one)`;

export function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      smoke: { type: "boolean" },
      out: { type: "string" },
      only: { type: "string" },
      "api-workers": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  const { "api-workers": apiWorkers, help, ...rest } = values;
  if (help) return { ...flags.parse({}), help: true };
  const parsed = flags.safeParse({ ...rest, ...(apiWorkers === undefined ? {} : { apiWorkers }) });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}
