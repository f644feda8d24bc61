/**
 * A database that fails on demand, for tests that inject a failure at each await: a wrapped
 * postgres.js `sql` that counts the statements it is asked to run (tagged queries, `unsafe`,
 * and each transaction's `begin`, inside transactions too) and, once armed with N, refuses
 * the Nth from then on as a server that is shutting down would (SQLSTATE 57P01: an
 * infrastructure failure, never a refusal). Helpers such as `sql.json` pass through uncounted.
 */
import type { Sql } from "@trainer2/db";

export type FaultySql = {
  sql: Sql;
  /** The Nth statement from now fails (1: the next one). */
  failOn(n: number): void;
  /** No failure from now on; says whether the armed one happened. */
  disarm(): boolean;
};

/** What postgres.js reports for a connection the server ended. */
export function databaseGone(): Error {
  return Object.assign(new Error("terminating connection due to administrator command"), {
    code: "57P01",
  });
}

export function faultySql(real: Sql): FaultySql {
  let countdown = 0;
  let fired = false;
  const hit = () => {
    if (countdown <= 0) return false;
    countdown -= 1;
    if (countdown > 0) return false;
    fired = true;
    return true;
  };
  return {
    sql: wrap(real, hit) as Sql,
    failOn(n) {
      countdown = n;
      fired = false;
    },
    disarm() {
      countdown = 0;
      return fired;
    },
  };
}

/** A query that failed: awaited (or chained) like one, it rejects. */
function failed(): Promise<never> {
  const rejected = Promise.reject(databaseGone());
  // Whoever runs it awaits it; this keeps an early rejection from being reported unhandled.
  rejected.catch(() => {});
  return rejected;
}

const isTemplate = (value: unknown) =>
  Array.isArray(value) && Object.hasOwn(value as object, "raw");

function wrap<T extends object>(target: T, hit: () => boolean): T {
  return new Proxy(target, {
    apply(fn, self, args) {
      if (isTemplate(args[0]) && hit()) return failed();
      return Reflect.apply(fn as (...a: unknown[]) => unknown, self, args);
    },
    get(object, property) {
      const value = Reflect.get(object, property);
      if (typeof value !== "function") return value;
      if (property === "unsafe")
        return (...args: unknown[]) => (hit() ? failed() : value.apply(object, args));
      if (property === "begin" || property === "savepoint")
        return (...args: unknown[]) => {
          if (hit()) return failed();
          const body = args.at(-1) as (tx: object) => unknown;
          return value.apply(object, [...args.slice(0, -1), (tx: object) => body(wrap(tx, hit))]);
        };
      return value.bind(object);
    },
  });
}
