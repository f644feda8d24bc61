/**
 * The api outlives its database's outages. The chaos run (`bun run chaos`, seed 2) saw an api
 * process die when Postgres stopped: once on an unhandled `read ECONNRESET` with no app code
 * in its stack, once on a TypeError inside postgres.js's own connection code (`nextWrite`),
 * neither reachable from a caller's try. The TypeError is postgres.js 3.4.9 writing a
 * transaction's rollback to a connection the server had closed (porsager/postgres#1208); it
 * also leaves that connection's write timer set, so its queries wait out the connect timeout
 * (a patch was tried and taken out: its test still hung 2 runs in 12). Such a failure of the
 * database link is logged and the
 * process keeps serving (the driver reconnects; runs and sweeps already handle an outage). Any
 * other uncaught error still ends the process, as before: state after an unknown throw cannot
 * be trusted, and a supervisor restarts it.
 */
import { isInfrastructureFailure } from "@trainer2/shared/errors";
import type { Logger } from "@trainer2/shared/logger";

/** True for a failure of the database link: an unreachable peer, or thrown inside the driver. */
export function isDriverFailure(error: unknown): boolean {
  if (isInfrastructureFailure(error)) return true;
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  return /node_modules[\\/]postgres[\\/]/.test(stack);
}

/** Keeps the process up through driver failures nobody awaited; anything else ends it. */
export function surviveDriverFailures(logger: Logger, exit: (code: number) => void = process.exit) {
  const handle = (kind: string) => (error: unknown) => {
    if (isDriverFailure(error)) {
      logger.error(`${kind} from the database link: the process keeps serving`, { error });
      return;
    }
    logger.error(`${kind}: the process ends`, { error });
    exit(1);
  };
  process.on("unhandledRejection", handle("unhandled rejection"));
  process.on("uncaughtException", handle("uncaught exception"));
}
