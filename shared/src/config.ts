/**
 * Environment parsing shared by every service's env.ts: zod at the edge, every bad field
 * named, exit 1. Values are never echoed (they may be secrets).
 */
import { z } from "zod";
import { LOG_LEVELS } from "./logger.ts";

export class EnvError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
    this.problems = problems;
  }
}

/** Parse `source` with `schema`; throws EnvError naming each bad variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    return `${name}: ${issue.message}`;
  });
  throw new EnvError(problems);
}

/** For entry points: parse or print every problem and exit 1. */
export function loadEnvOrExit<S extends z.ZodType>(
  service: string,
  schema: S,
  source: Record<string, string | undefined>,
): z.infer<S> {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(`[${service}] cannot start. ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

/** Empty strings count as unset, as in most .env files. */
const blankToUndefined = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

/** `schema`, with a blank value read as unset (so its default or optionality applies). */
export const blankAsUnset = <S extends z.ZodType>(schema: S) =>
  z.preprocess(blankToUndefined, schema);

export const optionalString = blankAsUnset(z.string().optional());

export const port = (fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(0).max(65535).default(fallback));

/** A whole number in [min, max], `fallback` when unset. */
export const wholeNumber = (min: number, max: number, fallback: number) =>
  blankAsUnset(z.coerce.number().int().min(min).max(max).default(fallback));

/** LOG_LEVEL of every service; `silent` turns the JSON log lines off. */
export const logLevel = blankAsUnset(z.enum(LOG_LEVELS).default("info"));

/** A postgres:// URL (required unless wrapped in `.optional()`). */
export const postgresUrl = z
  .string({ message: "required" })
  .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL");

export const boolFlag = (fallback: boolean) =>
  blankAsUnset(
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
      .default(fallback ? "true" : "false")
      .transform((value) => value === "true" || value === "1" || value === "yes"),
  );

export const url = blankAsUnset(z.url({ message: "expected a URL" }));

/** A URL or unset; blank is unset (`url.optional()` refuses a blank value, as compose passes). */
export const optionalUrl = blankAsUnset(z.url({ message: "expected a URL" }).optional());

/** localhost, 127.0.0.0/8 and ::1: where plain http reaches only this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\./.test(host)
  );
}

/**
 * An OpenID issuer: https, or http on loopback only (a provider on this machine, as in the
 * README's Keycloak example). Over plain http elsewhere, anyone on the path could swap the
 * discovery document and its keys, and so sign in as anyone.
 */
export const issuerUrl = z.url({ message: "expected a URL" }).refine(
  (value) => {
    // Refinements run even after the URL check failed: that one already said so.
    if (!URL.canParse(value)) return true;
    const { protocol, hostname } = new URL(value);
    return protocol === "https:" || (protocol === "http:" && isLoopbackHost(hostname));
  },
  { message: "must be https (plain http only for localhost or 127.0.0.1)" },
);
export const optionalIssuerUrl = blankAsUnset(issuerUrl.optional());

/**
 * A PEM key from the environment. `.env` files often carry it on one line with `\n`
 * escapes; both forms are accepted. The value is never part of an error message.
 */
export const pem = (kind: "PRIVATE" | "PUBLIC") =>
  z.preprocess(
    (value) => (typeof value === "string" ? value.replace(/\\n/g, "\n").trim() : value),
    z
      .string({ message: `expected a PEM ${kind.toLowerCase()} key` })
      .refine((value) => value.includes(`-----BEGIN ${kind} KEY-----`), {
        message: `expected a PEM ${kind.toLowerCase()} key (-----BEGIN ${kind} KEY-----)`,
      }),
  );

export const optionalPem = (kind: "PRIVATE" | "PUBLIC") => blankAsUnset(pem(kind).optional());

/**
 * The dev login lets anyone sign in as anyone. Under NODE_ENV=production it stays refused
 * unless a second, explicit variable says so (a production build in tests, a private demo):
 * one stray `AUTH_DEV_LOGIN=true` in a deployment must not open it.
 */
export const devLoginInProductionFlag = "AUTH_DEV_LOGIN_IN_PRODUCTION";

export function devLoginRefused(env: {
  NODE_ENV?: string | undefined;
  AUTH_DEV_LOGIN: boolean;
  AUTH_DEV_LOGIN_IN_PRODUCTION: boolean;
}): boolean {
  return env.AUTH_DEV_LOGIN && env.NODE_ENV === "production" && !env.AUTH_DEV_LOGIN_IN_PRODUCTION;
}

export const devLoginRefusedMessage =
  `refused when NODE_ENV=production (anyone could sign in as anyone); ` +
  `set ${devLoginInProductionFlag}=true as well if you really mean it`;

/**
 * `--help`, `-h` or `help` as a command's first argument (or anywhere for a command that takes
 * only flags): every command of the repo prints its usage and exits 0 for it, and does nothing
 * else (`bun dev --help` must not start the stack).
 */
export function helpRequested(argv: string[], anywhere = false): boolean {
  const asks = (arg: string | undefined) => arg === "--help" || arg === "-h" || arg === "help";
  return anywhere ? argv.some(asks) : asks(argv[0]);
}
