/** The api's configuration: the only module that reads process.env. */
import {
  blankAsUnset,
  boolFlag,
  devLoginRefused,
  devLoginRefusedMessage,
  loadEnvOrExit,
  logLevel,
  optionalIssuerUrl,
  optionalPem,
  optionalString,
  optionalUrl,
  parseEnv,
  pem,
  port,
  postgresUrl,
  url,
  wholeNumber,
} from "@trainer2/shared/config";
import { z } from "zod";
import { budgetEnvFields, budgetSettingsOf, devBudgetDefaultsFor } from "./budgets/settings.ts";

export const envSchema = z
  .object({
    NODE_ENV: optionalString,
    PORT: port(8000),
    DATABASE_URL: blankAsUnset(postgresUrl),
    AGENT_URL: url.default("http://localhost:9000"),
    API_PRIVATE_KEY: pem("PRIVATE"),
    API_PUBLIC_KEY: pem("PUBLIC"),
    AGENT_PUBLIC_KEY: pem("PUBLIC"),
    GOOGLE_CLIENT_ID: optionalString,
    /** Where Google's keys are found by discovery instead of Google (a test's local Google). */
    GOOGLE_DISCOVERY_URL: optionalUrl,
    // One set with the web: the issuer, and the client id the id_tokens are issued to.
    OIDC_ISSUER: optionalIssuerUrl,
    OIDC_CLIENT_ID: optionalString,
    /** Only when the id_tokens' audience is not the client id (rare). */
    OIDC_AUDIENCE: optionalString,
    /** Default: the provider's discovery document names it. */
    OIDC_JWKS_URL: optionalUrl,
    AUTH_DEV_LOGIN: boolFlag(false),
    AUTH_DEV_LOGIN_IN_PRODUCTION: boolFlag(false),
    DEV_LOGIN_PUBLIC_KEY: optionalPem("PUBLIC"),
    WEB_ORIGIN: url.default("http://localhost:3000"),
    LOG_LEVEL: logLevel,
    /**
     * How many api processes serve PORT together (SO_REUSEPORT): a number, or `auto` for one
     * per core. Each is a full api process of its own; this one only starts and restarts them.
     */
    API_WORKERS: blankAsUnset(
      z
        .union([z.literal("auto"), z.coerce.number().int().min(1).max(64)], {
          message: "expected a number of processes (1-64) or auto",
        })
        .default(1),
    ),
    /**
     * /metrics on this port instead of PORT (which a proxy exposes): a lone process here,
     * worker N on METRICS_PORT + N with all workers merged here (serve.ts, worker-metrics.ts).
     * Unset: /metrics on PORT, as `bun dev` and the seed README have it.
     */
    METRICS_PORT: blankAsUnset(z.coerce.number().int().min(1).max(65535).optional()),
    /** Set by the process that started this one as a worker (1, 2, …); never by hand. */
    API_WORKER_INDEX: blankAsUnset(z.coerce.number().int().min(1).optional()),
    /** The answer so far is saved at most this often while it streams (ms; 0: never). */
    STREAM_CHECKPOINT_MS: wholeNumber(0, 60_000, 250),
    /**
     * How long a tool call waits for the person's approval before it is rejected by itself
     * (the model is told it expired), in seconds: an hour unless set, at most 30 days.
     */
    APPROVAL_TIMEOUT_S: wholeNumber(1, 30 * 24 * 3600, 3600),
    /** Sockets one person may hold open on one api process; past it the new one closes (4430). */
    REALTIME_MAX_SOCKETS_PER_USER: wholeNumber(1, 10_000, 20),
    /** Sockets not yet signed in from one client address on one api process; past it, 4429. */
    REALTIME_MAX_UNAUTHENTICATED_PER_IP: wholeNumber(1, 100_000, 50),
    /** Bytes waiting to be sent on one socket before its reader counts as stalled (4408). */
    REALTIME_SEND_BUFFER_BYTES: wholeNumber(64 * 1024, 1024 ** 3, 4 * 1024 * 1024),
    /** Cost units one person may spend per second on one api process (README: Limits). */
    RATE_LIMIT_PER_SECOND: wholeNumber(1, 1_000_000, 20),
    /** Cost units one person may spend at once (a burst). An export costs 100, /state 1. */
    RATE_LIMIT_BURST: wholeNumber(100, 10_000_000, 200),
    /**
     * Addresses of the proxies in front of the api (comma-separated, e.g. nginx's): only their
     * X-Forwarded-For names the client; anyone else's is ignored. Unset: the peer is the client.
     */
    TRUSTED_PROXIES: blankAsUnset(
      z
        .string()
        .optional()
        .transform((value) =>
          (value ?? "")
            .split(",")
            .map((address) => address.trim())
            .filter(Boolean),
        ),
    ),
    /** Per-user limits, the cap on each answer, the day's zone, prices (budgets/settings.ts). */
    ...budgetEnvFields,
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  })
  .superRefine((env, ctx) => {
    const audience = env.OIDC_AUDIENCE ?? env.OIDC_CLIENT_ID;
    if (env.OIDC_ISSUER && !audience)
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_CLIENT_ID"],
        message: "required when OIDC_ISSUER is set (the audience of its id_tokens)",
      });
    if (!env.OIDC_ISSUER && (audience || env.OIDC_JWKS_URL))
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_ISSUER"],
        message: "required when any OIDC_* is set",
      });
    if (devLoginRefused(env))
      ctx.addIssue({ code: "custom", path: ["AUTH_DEV_LOGIN"], message: devLoginRefusedMessage });
    if (env.AUTH_DEV_LOGIN && !env.DEV_LOGIN_PUBLIC_KEY)
      ctx.addIssue({
        code: "custom",
        path: ["DEV_LOGIN_PUBLIC_KEY"],
        message: "required when AUTH_DEV_LOGIN=true",
      });
    if (!env.GOOGLE_CLIENT_ID && !env.OIDC_ISSUER && !env.AUTH_DEV_LOGIN)
      ctx.addIssue({
        code: "custom",
        path: ["GOOGLE_CLIENT_ID"],
        message:
          "no sign-in configured: set GOOGLE_CLIENT_ID, the OIDC_* trio, or AUTH_DEV_LOGIN=true",
      });
  });

export type ApiEnv = z.infer<typeof envSchema>;

/** The generic provider as the identity verifier takes it; undefined when not configured. */
export function oidcIdentity(env: ApiEnv) {
  const audience = env.OIDC_AUDIENCE ?? env.OIDC_CLIENT_ID;
  if (!env.OIDC_ISSUER || !audience) return undefined;
  return {
    issuer: env.OIDC_ISSUER,
    audience,
    ...(env.OIDC_JWKS_URL ? { jwksUrl: env.OIDC_JWKS_URL } : {}),
  };
}

/** The realtime settings the environment sets; the others keep defaultRealtimeOptions. */
export function realtimeSettingsOf(env: ApiEnv) {
  return {
    checkpointIntervalMs: env.STREAM_CHECKPOINT_MS,
    approvalTimeoutMs: env.APPROVAL_TIMEOUT_S * 1000,
  };
}

/** The limits on sockets the environment sets (README: Limits). */
export function socketLimitsOf(env: ApiEnv) {
  return {
    maxSocketsPerUser: env.REALTIME_MAX_SOCKETS_PER_USER,
    maxUnauthenticatedPerIp: env.REALTIME_MAX_UNAUTHENTICATED_PER_IP,
    sendBufferLimitBytes: env.REALTIME_SEND_BUFFER_BYTES,
  };
}

/** What one person may ask per second, by cost (http/person-limits.ts). */
export function personLimitsOf(env: ApiEnv) {
  return { perSecond: env.RATE_LIMIT_PER_SECOND, burst: env.RATE_LIMIT_BURST };
}

export function loadEnv(source: Record<string, string | undefined> = process.env): ApiEnv {
  return loadEnvOrExit("api", envSchema, source);
}

/** A worker's environment under API_WORKERS: this process's own, and which worker it is. */
export function workerEnv(index: number): Record<string, string | undefined> {
  return { ...process.env, API_WORKER_INDEX: String(index) };
}

/**
 * The budget settings as the api reads them, for `bun run admin`; on `bun dev`'s embedded
 * database, with the defaults `bun dev` gives the api where the environment sets none.
 */
export function adminBudgetSettings(embedded: boolean) {
  const source = embedded ? { ...process.env, ...devBudgetDefaultsFor(process.env) } : process.env;
  return budgetSettingsOf(parseEnv(z.object(budgetEnvFields), source));
}
