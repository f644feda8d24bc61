/** What the realtime feature needs from the app, and its tunables (tests shorten them). */
import type { Sql } from "@trainer2/db";
import type { Logger } from "@trainer2/shared/logger";
import type { Metrics } from "@trainer2/shared/metrics";
import type { Telemetry } from "@trainer2/shared/telemetry";
import type { KeyLike } from "@trainer2/shared/tokens";
import type { Context } from "hono";
import type { Authenticate } from "../auth/authenticate.ts";
import type { Budgets } from "../budgets/budgets.ts";
import type { PersonLimits } from "../http/person-limits.ts";
import type { Tool } from "../tools/define-tool.ts";
import type { Hub } from "./hub.ts";
import type { PersonGate } from "./person-gate.ts";
import type { AddressCounter } from "./socket-limits.ts";

export type RealtimeOptions = {
  /** A socket without a query token must send `auth` within this time. */
  authTimeoutMs: number;
  /** Protocol pings keep idle proxies (typically 60 s) from cutting a quiet socket. */
  pingIntervalMs: number;
  /** The agent may be silent this long between events before the run fails with `timeout`. */
  agentIdleTimeoutMs: number;
  /** A whole run may take this long. */
  runTimeoutMs: number;
  /** This many bad frames in a row close the socket with 4400. */
  maxBadFrames: number;
  /** Token bucket per socket: sustained frames per second and burst; beyond it, 4429. */
  framesPerSecond: number;
  frameBurst: number;
  maxFrameBytes: number;
  /** Sockets one person may have open on this process; past it the new one closes (4430). */
  maxSocketsPerUser: number;
  /** Sockets not yet signed in from one client IP on this process; past it, 4429. */
  maxUnauthenticatedPerIp: number;
  /** Bytes a socket may have waiting to be sent; past it the reader is too slow (4408). */
  sendBufferLimitBytes: number;
  /** The answer so far is saved at most this often while it streams (0: never). */
  checkpointIntervalMs: number;
  /** An answer that ended while the database was down is stored once it is back, within this. */
  endWriteRetryMs: number;
  /** The capabilities version sent with each /run is rebuilt at most this often. */
  capabilitiesVersionTtlMs: number;
  /** A tool call waiting for the person's approval is rejected by itself after this. */
  approvalTimeoutMs: number;
  /** How often each api process looks for approvals past their time (0: never). */
  approvalSweepMs: number;
};

export const defaultRealtimeOptions: RealtimeOptions = {
  authTimeoutMs: 5000,
  pingIntervalMs: 25_000,
  agentIdleTimeoutMs: 90_000,
  runTimeoutMs: 10 * 60_000,
  maxBadFrames: 5,
  framesPerSecond: 10,
  frameBurst: 40,
  maxFrameBytes: 64 * 1024,
  maxSocketsPerUser: 20,
  maxUnauthenticatedPerIp: 50,
  sendBufferLimitBytes: 4 * 1024 * 1024,
  checkpointIntervalMs: 250,
  endWriteRetryMs: 10 * 60_000,
  capabilitiesVersionTtlMs: 5000,
  approvalTimeoutMs: 60 * 60_000,
  approvalSweepMs: 5000,
};

export type RealtimeContext = {
  sql: Sql;
  hub: Hub;
  logger: Logger;
  metrics: Metrics;
  telemetry: Telemetry;
  authenticate: Authenticate;
  apiPrivateKey: KeyLike;
  agentUrl: () => string;
  /** The capabilities version published now, sent with each /run (see capabilities/version.ts). */
  capabilitiesVersion: () => Promise<string>;
  options: RealtimeOptions;
  /** Each turn's reservation and settlement (budgets/). */
  budgets: Budgets;
  /** The api's tools: their approval sentences word the cards (approvals.ts). */
  tools: () => Promise<Tool[]>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** The client's address (http/client-ip.ts: a trusted proxy's X-Forwarded-For, else the peer). */
  clientIp: (c: Context) => string;
  /** What one person may ask per second, by cost: `resume` frames are charged here. */
  limits: PersonLimits;
  /** One person's resumes at once on this process (person-gate.ts). */
  resumes: PersonGate;
  /** Sockets not yet signed in, per address (socket-limits.ts). */
  unauthenticated: AddressCounter;
};
