/**
 * Structured JSON logs on stdout. Callers pass fields, never tokens or keys; `cause` is
 * reduced to its name and message so a stack or a request body does not leak by accident.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;
export type Logger = {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
};

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function describe(value: unknown): unknown {
  if (value instanceof Error) {
    const cause = value.cause === undefined ? undefined : describe(value.cause);
    return { name: value.name, message: value.message, ...(cause ? { cause } : {}) };
  }
  return value;
}

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (line) => console.log(line),
  base: LogFields = { service: "api" },
): Logger {
  const log = (at: Exclude<LogLevel, "silent">) => (message: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return;
    const entries = Object.entries(fields ?? {}).map(([key, value]) => [key, describe(value)]);
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level: at,
        ...base,
        message,
        ...Object.fromEntries(entries),
      }),
    );
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

export const silentLogger: Logger = createLogger("silent");
