/**
 * What api processes tell each other over the bus (api/src/cluster/), as zod schemas: a
 * payload read from the bus is input from outside the process (any database login can
 * NOTIFY on the channel), so it is parsed here before anything acts on it, like a frame.
 *
 * Ids are bounded strings rather than uuids: process ids and user ids are opaque to the bus.
 */
import { z } from "zod";
import { failureCode } from "./failures.ts";
import { serverEvent } from "./wire.ts";

const id = z.string().min(1).max(200);
/** Session ids per follow message: the sender sends 150 at most (cross-process.ts). */
const maxIdsPerMessage = 500;
const ids = z.array(id).max(maxIdsPerMessage);

export const busMessage = z.discriminatedUnion("t", [
  /** Events of session `s` (of user `u`), for the processes in `to` that follow it. */
  z.object({
    t: z.literal("events"),
    s: id,
    u: id,
    e: z.array(serverEvent).max(10_000),
    to: ids,
  }),
  /** The sender's sockets follow (or no longer follow) these sessions. */
  z.object({ t: z.literal("follow"), s: ids }),
  z.object({ t: z.literal("unfollow"), s: ids }),
  /** The sender (re)joined: tell it what you follow. */
  z.object({ t: z.literal("hello") }),
  /** Whoever writes an answer in session `s` (or just did): send the sender where it is. */
  z.object({ t: z.literal("catchup"), s: id }),
  /** Stop run `r` of user `u` (a Stop pressed on a socket of another process). */
  z.object({ t: z.literal("cancel"), r: id, u: id }),
  /** User `u`'s data changed (a tool wrote): their sockets get a fresh `state`. */
  z.object({ t: z.literal("state"), u: id, s: id.optional() }),
  /** Close every socket of user `u`, saying why (`c`, e.g. their account was deleted). */
  z.object({ t: z.literal("close"), u: id, c: failureCode }),
]);
export type BusMessage = z.infer<typeof busMessage>;

/**
 * The bounds of a message split in parts (a long catch-up over NOTIFY's 8000 bytes): a
 * receiver holds at most `maxPending` unfinished messages, each for at most `maxAgeMs`, each
 * of at most `maxCount` parts of at most `maxChars` characters. Past these, parts are dropped.
 */
export const busPartLimits = {
  maxCount: 500,
  maxChars: 1800,
  maxPending: 64,
  maxAgeMs: 30_000,
} as const;

/** One NOTIFY payload's body: from process `p`, its `n`th, sent at `at` (ms since epoch). */
const header = { p: id, n: z.number().int().min(1), at: z.number().int().min(0) };

export const busBatch = z.object({ ...header, b: z.array(z.unknown()).min(1).max(10_000) });
export const busPart = z
  .object({
    ...header,
    /** The id of the whole message; this is part `i` of `k`. */
    c: id,
    i: z.number().int().min(0),
    k: z.number().int().min(1).max(busPartLimits.maxCount),
    d: z.string().max(busPartLimits.maxChars),
  })
  .refine((part) => part.i < part.k, { message: "part index out of range", path: ["i"] });
export const busPayload = z.union([busBatch, busPart]);
export type BusBatch = z.infer<typeof busBatch>;
export type BusPart = z.infer<typeof busPart>;

/** Why a received payload or message was dropped, as counted on /metrics. */
export const busDropReasons = [
  /** No valid signature: not sent by an api process holding the key (a forged NOTIFY). */
  "unauthenticated",
  /** Signed, but not of the payload's shape, or a message not of any known kind. */
  "invalid",
  /** Signed and valid, but older than allowed or already seen (a replayed payload). */
  "stale",
  /** A split message's parts beyond the bounds above, or never completed in time. */
  "parts",
] as const;
export type BusDropReason = (typeof busDropReasons)[number];
