/**
 * Debian's nginx in front of api processes on loopback, running the repo's own proxy config
 * (`proxy/nginx.conf`) with its upstream servers and listen port rewritten, the way the
 * Prometheus test runs the repo's Prometheus config. One worker, so connections go to the
 * upstreams in turn (round robin is per worker).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, freePort, startChild, stopChild } from "@trainer2/shared/processes";
import { testkitEnv } from "./env.ts";
import { repoRoot } from "./paths.ts";

export const nginxBinary = "/usr/sbin/nginx";
export const proxyConfigPath = join(repoRoot, "proxy", "nginx.conf");

export type Nginx = {
  url: string;
  wsUrl: string;
  port: number;
  /** The access log the repo's config writes (its path rewritten into the temporary dir). */
  accessLog: string;
  child: Child;
  stop(): Promise<void>;
};

/** The repo's config with loopback upstreams, port and writable paths (tested itself). */
export function loopbackConfig(config: string, upstreamPorts: number[], port: number, dir: string) {
  const rewritten = config
    .replace(/worker_processes\s+\S+;/, "worker_processes 1;")
    // Each loopback server keeps the parameters the repo's line gives (max_fails=0).
    .replace(/server api:8000([^;]*);/, (_, parameters: string) =>
      upstreamPorts.map((p) => `server 127.0.0.1:${p}${parameters};`).join("\n    "),
    )
    .replace(/listen 8000;/, `listen 127.0.0.1:${port};`)
    .replace(/access_log \/var\/log\/nginx\/access\.log/, `access_log ${join(dir, "access.log")}`)
    .replace(/http \{/, `http {\n  ${temporaryPaths(dir)}`);
  if (
    rewritten.includes("api:8000") ||
    rewritten.includes("/var/log/nginx") ||
    !rewritten.includes(`127.0.0.1:${port}`)
  )
    throw new Error("proxy/nginx.conf no longer has the lines this test rewrites");
  return `pid ${join(dir, "nginx.pid")};\nerror_log stderr warn;\n${rewritten}`;
}

const temporaryPaths = (dir: string) =>
  ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `${kind}_temp_path ${join(dir, kind)};`)
    .join("\n  ");

export async function startNginx(upstreamPorts: number[]): Promise<Nginx> {
  if (!existsSync(nginxBinary))
    throw new Error(`${nginxBinary} is missing: apt-get install -y nginx`);
  const dir = mkdtempSync(join(tmpdir(), "trainer2-nginx-"));
  // As root, nginx's worker runs as nobody: it must be able to write its temp files here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    loopbackConfig(readFileSync(proxyConfigPath, "utf8"), upstreamPorts, port, dir),
  );
  const child = startChild({
    name: "nginx",
    command: [nginxBinary, "-p", dir, "-c", conf, "-g", "daemon off;"],
    cwd: dir,
    env: { PATH: testkitEnv().PATH },
    stopGraceMs: 3000,
  });
  const url = `http://127.0.0.1:${port}`;
  await untilListening(url, child);
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/realtime`,
    port,
    accessLog: join(dir, "access.log"),
    child,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function untilListening(url: string, child: Child) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`nginx exited:\n${child.tail()}`);
    const answered = await fetch(`${url}/health`).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await Bun.sleep(50);
  }
  throw new Error(`nginx did not listen on ${url}:\n${child.tail()}`);
}
