/**
 * `bun run chaos [--seconds N] [--people N] [--seed S] [--out FILE]`: the stack under a
 * seeded random workload with injected faults, then the invariants; exits 1 on a violation.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

export const chaosUsage = `usage: bun run chaos [--seconds N] [--people N] [--seed S] [--out FILE]
  --seconds N  how long the people act and faults are injected (default 60)
  --people N   scripted people, each on its own socket through nginx (default 40)
  --seed S     the seed of every action and fault (default: random, printed); same seed, same schedule
  --out FILE   the JSON result (default tests/chaos/results/chaos-<seed>.json)
Starts its own Postgres cluster, two api processes behind proxy/nginx.conf, two agents and the
offline model on loopback; stops by itself; exits 1 when an invariant is violated.`;

const whole = (name: string, min: number, max: number) =>
  z.coerce
    .number({ message: `${name}: expected a number` })
    .int(`${name}: expected a whole number`)
    .min(min, `${name}: at least ${min}`)
    .max(max, `${name}: at most ${max}`);

const flagsSchema = z.object({
  seconds: whole("--seconds", 5, 24 * 3600).default(60),
  people: whole("--people", 1, 500).default(40),
  seed: whole("--seed", 0, 2 ** 32 - 1).default(() => Math.floor(Math.random() * 2 ** 31)),
  out: z.string().min(1).optional(),
});

export type ChaosFlags = z.infer<typeof flagsSchema>;

/** The flags, `help` when asked for, or an error message naming the bad flag. */
export function parseChaosFlags(argv: string[]): ChaosFlags | "help" | { error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seconds: { type: "string" },
        people: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return "help";
  const parsed = flagsSchema.safeParse(values);
  return parsed.success ? parsed.data : { error: parsed.error.issues[0]!.message };
}
