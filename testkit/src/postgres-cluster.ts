/**
 * A throwaway Postgres cluster from the machine's own server binaries (the ones `.ci/run`
 * finds), on a free loopback port, for fault tests a shared server cannot stage: stop it
 * hard, start it again on the same data and port, throw it away. As root, every Postgres
 * command runs as the `postgres` user (`runuser -u postgres --`), as `.ci/run` does.
 */
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@trainer2/shared/processes";
import { runCommand } from "@trainer2/shared/testing/run-command";
import { testkitEnv } from "./env.ts";

export type StopMode = "smart" | "fast" | "immediate";

export type PostgresCluster = {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  /** Holds `data/` (the cluster), `log` (the server's log) and the server's socket. */
  root: string;
  /** Starts it again on the same data and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast); `immediate` is a crash: the next start recovers. */
  stop(options?: { mode?: StopMode }): Promise<void>;
  /** Stops it (immediate) and removes every file it had. */
  destroy(): Promise<void>;
  /** The end of the server's log, for failure messages. */
  log(): string;
};

export type ClusterOptions = {
  /** `-c name=value` server settings; fsync is off unless set (the data is thrown away). */
  settings?: Record<string, string>;
};

const binaries = ["initdb", "pg_ctl", "postgres"];
const missing =
  "Postgres server binaries (initdb, pg_ctl, postgres) are in neither /usr/local/bin nor " +
  "/usr/lib/postgresql/*/bin: apt-get install -y postgresql";

/** The first folder holding all three server binaries, searched in `.ci/run`'s order. */
export function findPostgresBinaries(): string {
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort()
    : [];
  const folders = ["/usr/local/bin", ...versions.map((v) => `/usr/lib/postgresql/${v}/bin`)];
  const found = folders.find((dir) => binaries.every((name) => isExecutable(join(dir, name))));
  if (!found) throw new Error(missing);
  return found;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const asRoot = () => process.getuid?.() === 0;

/** Postgres refuses to run as root: there, each command runs as the `postgres` user. */
async function run(command: string[], what: string): Promise<string> {
  const full = asRoot() ? ["runuser", "-u", "postgres", "--", ...command] : command;
  const { stdout, stderr, code } = await runCommand(full);
  if (code !== 0)
    throw new Error(`${what} failed (exit ${code}):\n${(stdout + stderr).slice(-4000)}`);
  return stdout;
}

/** As root, the cluster's folder must belong to the `postgres` user. */
async function handToPostgres(root: string): Promise<void> {
  if (!asRoot()) return;
  const id = async (flag: string) => {
    const { stdout, code } = await runCommand(["id", flag, "postgres"]);
    if (code !== 0)
      throw new Error(
        "running as root needs a `postgres` user for the cluster: useradd -r postgres",
      );
    return Number(stdout.trim());
  };
  chownSync(root, await id("-u"), await id("-g"));
}

export async function startPostgresCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const bin = findPostgresBinaries();
  const root = mkdtempSync(join(tmpdir(), "trainer2-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "log");
  let running = false;
  try {
    await handToPostgres(root);
    await run([join(bin, "initdb"), "-D", dataDir, "-A", "trust", "-U", "postgres"], "initdb");
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const settings = { fsync: "off", ...options.settings };
  const serverArgs = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses=127.0.0.1",
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(" ");
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-4000) : "");
  const pgCtl = (args: string[], what: string) =>
    run([join(bin, "pg_ctl"), "-D", dataDir, ...args], what);

  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    root,
    async start() {
      await pgCtl(
        ["-l", logFile, "-w", "-t", "60", "-o", serverArgs, "start"],
        "pg_ctl start",
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- server log ---\n${log()}`);
      });
      running = true;
    },
    async stop({ mode = "fast" } = {}) {
      if (!running) return;
      await pgCtl(["-m", mode, "-w", "stop"], `pg_ctl stop -m ${mode}`);
      running = false;
    },
    async destroy() {
      await cluster.stop({ mode: "immediate" }).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
    log,
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

/**
 * A real Postgres server for tests that need one (several processes talking over
 * LISTEN/NOTIFY, which the embedded database cannot carry): DATABASE_URL's server when it is
 * set (CI), else a throwaway cluster of this machine's binaries.
 */
export async function realPostgresServer(): Promise<{ url: string; close(): Promise<void> }> {
  const given = testkitEnv().DATABASE_URL;
  if (given) return { url: given, close: async () => {} };
  const cluster = await startPostgresCluster();
  return { url: cluster.url, close: () => cluster.destroy() };
}
