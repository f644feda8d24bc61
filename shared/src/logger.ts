/**
 * Structured JSON logs: one object per line on stdout (`time`, `level`, `service`, `message`,
 * `trace_id`/`span_id` inside a span, then the fields), mirrored as OTLP log records when
 * telemetry is on. Every field and the message pass through `redact` first, so tokens, keys
 * and PEMs never reach a log.
 */
import {
  type Attributes,
  context,
  isSpanContextValid,
  type Logger as OtelLogger,
  SeverityNumber,
  trace,
} from "@opentelemetry/api";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const severity: Record<Exclude<LogLevel, "silent">, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. `{ runId }`). */
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where OTLP log records go; absent when telemetry is off. */
  otelLogger?: OtelLogger;
  /** Where JSON lines go; stdout by default (tests capture it). */
  write?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? "info";
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};

  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) => {
    if (rank[lvl] < rank[level]) return;
    const safe = redact({ ...base, ...fields }) as Record<string, unknown>;
    const message = redactString(msg);
    const record: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: lvl,
      service: options.service,
      message,
      ...currentTraceIds(),
    };
    // Fields never overwrite the envelope (a `level` field must not change the level).
    for (const [key, value] of Object.entries(safe))
      record[key in record ? `_${key}` : key] = value;
    write(safeStringify(record));
    options.otelLogger?.emit({
      severityNumber: severity[lvl],
      severityText: lvl.toUpperCase(),
      body: message,
      attributes: toAttributes(safe),
      // The SDK stamps trace_id/span_id on the record from this context.
      context: context.active(),
    });
  };

  return {
    level,
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, level, fields: { ...base, ...fields } }),
  };
}

/** The active span's ids, as they appear in logs; undefined outside a span. */
export function currentTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

// ---------------------------------------------------------------------------------------
// Redaction

export const REDACTED = "[REDACTED]";

/** Field names whose string values are secrets (`*_KEY` included); numbers stay (token counts). */
const sensitiveKey =
  /(authorization|cookie|token|secret|passw(or)?d|api[-_]?key|private[-_]?key|credential|signature|_key$|^key$|^pem$)/i;

const stringPatterns: Array<[RegExp, string]> = [
  // PEM blocks, also when the END line was cut off.
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, "[REDACTED_PEM]"],
  // JWT / JWS (compact, including detached `header..signature`): base64url JSON header.
  [/\beyJ[\w-]{5,}\.[\w-]*\.[\w-]*/g, "[REDACTED_JWT]"],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, `$1 ${REDACTED}`],
  // OpenAI-style and similar API keys.
  [/\bsk-[\w-]{16,}/g, "[REDACTED_KEY]"],
  // Secrets in query strings of logged URLs.
  [
    /([?&](?:token|access_token|id_token|refresh_token|api_key|key|code)=)[^&\s#"']+/gi,
    `$1${REDACTED}`,
  ],
];

export function redactString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of stringPatterns) out = out.replace(pattern, replacement);
  return out;
}

/** A deep copy of `value` that is safe to log. Errors become `{name, message, stack, cause}`. */
export function redact(value: unknown): unknown {
  return redactValue(value, false, 0, new WeakSet());
}

function redactValue(
  value: unknown,
  secret: boolean,
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === "string") return secret ? REDACTED : redactString(value);
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (value instanceof Date) return value.toISOString();
  if (depth > 8) return "[Truncated]";
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (value instanceof Error) return redactError(value, secret, depth, seen);
  if (value instanceof Headers) return redactValue(Object.fromEntries(value), secret, depth, seen);
  if (value instanceof URL) return redactString(value.toString());
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secret, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = redactValue(v, secret || sensitiveKey.test(key), depth + 1, seen);
  }
  return out;
}

function redactError(error: Error, secret: boolean, depth: number, seen: WeakSet<object>) {
  const out: Record<string, unknown> = {
    name: error.name,
    message: redactString(error.message),
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (error.stack) out.stack = redactString(error.stack);
  if (error.cause !== undefined) out.cause = redactValue(error.cause, secret, depth + 1, seen);
  return out;
}

function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ time: record.time, level: record.level, message: record.message });
  }
}

/** OTLP attributes: primitives stay; nested values go as JSON strings (Loki shows them). */
function toAttributes(fields: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    const primitive =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean";
    out[key] = primitive ? value : JSON.stringify(value);
  }
  return out;
}
