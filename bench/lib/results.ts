/**
 * The shape of `bench/results/<date>.json`. The run validates what it writes against it, and
 * the test parses a real `--quick` run with it: every scenario present, every number finite.
 */
import { z } from "zod";

const num = z.number().refine(Number.isFinite, "expected a finite number");
const count = z.number().int().min(0);

export const summarySchema = z.object({
  n: count,
  min: num,
  mean: num,
  p50: num,
  p95: num,
  p99: num,
  max: num,
  curve: z.array(num),
});

const trio = z.object({ p50: num, p95: num, p99: num });
const failures = z.record(z.string(), count);

const chatLevel = z.object({
  concurrency: count,
  turns: count,
  failedTurns: count,
  failures,
  firstDeltaMs: summarySchema,
  modelTtftMs: summarySchema,
  addedMs: trio,
  lastTokenToCompletedMs: summarySchema,
  turnMs: summarySchema,
  floor: z.object({ firstDeltaMs: summarySchema, addedMs: trio }),
  timesFloor: num,
  // Results written before the SDK's floor was measured have neither.
  sdkFloor: z.object({ firstDeltaMs: summarySchema, addedMs: trio, timesFloor: num }).optional(),
  cpuPerTurnMs: z.object({ ours: num, floor: num, sdkFloor: num }).optional(),
});

const httpEndpoint = z.object({
  name: z.string(),
  tool: z.enum(["wrk", "fetch"]).optional(),
  connections: count,
  requests: count,
  errors: count,
  durationMs: num,
  requestsPerSecond: num,
  latencyMs: summarySchema,
});

const chatLoad = z.object({
  sessions: count,
  durationMs: num,
  turnsSent: count,
  turnsCompleted: count,
  failedTurns: count,
  failures,
  turnsPerSecond: num,
  turnMs: summarySchema,
  firstDeltaMs: summarySchema,
  cpuSeconds: z.object({ api: num, agent: num, model: num, db: num, bench: num }),
  apiProcessCpuSeconds: z.array(num),
  db: z.object({
    userMessages: count,
    assistantMessages: count,
    assistantComplete: count,
    matches: z.boolean(),
  }),
});

export const resultsSchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  quick: z.boolean(),
  machine: z.object({
    cpus: count,
    cpuModel: z.string(),
    memTotalMb: num,
    platform: z.string(),
    kernel: z.string(),
    bunVersion: z.string(),
    gitCommit: z.string(),
    database: z.enum(["postgres", "embedded"]),
  }),
  scenarios: z.object({
    coldStart: z.object({ samples: count, apiMs: summarySchema, agentMs: summarySchema }),
    chatLatency: z.object({
      text: z.string(),
      /** The model's own TTFT with one caller: what "added" is measured above. */
      modelTtftAloneMs: summarySchema.optional(),
      levels: z.array(chatLevel).min(1),
    }),
    streaming: z.object({
      turns: count,
      failedTurns: count,
      failures,
      tokensPerTurn: count,
      charsPerTurn: count,
      tokensPerSecond: num,
      modelTokensPerSecond: num,
      gapMs: summarySchema,
      modelGapMs: summarySchema,
      addedGapMs: num,
    }),
    http: z.object({ stateMessages: count, endpoints: z.array(httpEndpoint).min(1) }),
    capacity: z.object({
      idle: z.object({
        fdLimit: z.object({ bench: z.number().int(), api: z.number().int() }),
        cappedBy: z.string().nullable(),
        baselineRssMb: num,
        steps: z.array(
          z.object({ target: count, open: count, errors: count, rssMb: num, openMs: num }),
        ),
        maxOpen: count,
        errors: count,
        failures,
        dropped: count,
      }),
      chat: chatLoad,
      /** The same load against an api that never checkpoints (STREAM_CHECKPOINT_MS=0). */
      chatWithoutCheckpoint: chatLoad,
      /** The same load against an api with budgets on (limits far above it: nothing refused). */
      chatWithBudgets: chatLoad,
    }),
    /** With DATABASE_URL: one-session turns on the embedded database beside Postgres. */
    devDefault: z
      .object({
        turns: count,
        postgresAddedMs: trio,
        embeddedAddedMs: trio,
        embeddedTimesPostgres: num,
      })
      .optional(),
    /** `--api-workers N` > 1: the capacity load and /state against N api processes. */
    apiWorkers: z
      .object({
        processes: count,
        chat: chatLoad,
        notificationsPerSecond: num,
        busMessagesPerSecond: num,
        state: httpEndpoint,
      })
      .optional(),
  }),
});

export type Results = z.infer<typeof resultsSchema>;
export type Scenarios = Results["scenarios"];

/** A run limited with `--only`: the scenarios that ran, same shapes. */
export const partialResultsSchema = resultsSchema.extend({
  scenarios: resultsSchema.shape.scenarios.partial(),
});
export type PartialResults = z.infer<typeof partialResultsSchema>;
