/**
 * API_WORKERS > 1 with METRICS_PORT: the process that starts the workers serves one /metrics
 * on METRICS_PORT with every worker's series, each labelled `worker="N"`; worker N serves
 * its own on METRICS_PORT + N. Prometheus scrapes one address per machine (compose: each api
 * replica) and still sees every process, which the shared main port could not give (each
 * scrape there reads whichever worker the kernel picks).
 */
import type { Logger } from "@trainer2/shared/logger";

/** Where worker `index` (1, 2, …) serves its own /metrics; a lone process uses the base. */
export function workerMetricsPort(base: number, index: number | undefined): number {
  return index === undefined ? base : base + index;
}

/** Adds `worker="N"` to one sample line (`name 1`, `name{a="b"} 1 1700000000`). */
function labelled(line: string, worker: number): string {
  const close = line.lastIndexOf("}");
  if (close >= 0) {
    const open = line.indexOf("{");
    const separator = close === open + 1 ? "" : ",";
    return `${line.slice(0, close)}${separator}worker="${worker}"${line.slice(close)}`;
  }
  const space = line.indexOf(" ");
  return `${line.slice(0, space)}{worker="${worker}"}${line.slice(space)}`;
}

type Family = { head: string[]; samples: string[] };

/**
 * Several workers' exposition texts as one: each family's HELP and TYPE once, then all its
 * samples (the format wants a family's lines together), each sample naming its worker.
 * `texts[i]` is worker i + 1's text.
 */
export function mergeWorkerMetrics(texts: readonly (string | undefined)[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string) => {
    let family = families.get(name);
    if (!family) {
      family = { head: [], samples: [] };
      families.set(name, family);
    }
    return family;
  };
  texts.forEach((text, i) => {
    let current: Family | undefined;
    for (const line of (text ?? "").split("\n")) {
      if (!line.trim()) continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        current = familyOf(meta[2]!);
        if (!current.head.some((seen) => seen.startsWith(`# ${meta[1]} `))) current.head.push(line);
        continue;
      }
      if (line.startsWith("#")) continue;
      // A sample before any HELP/TYPE is a family of its own name (untyped).
      current ??= familyOf(/^[^{\s]+/.exec(line)![0]);
      current.samples.push(labelled(line, i + 1));
    }
  });
  const lines = [...families.values()].flatMap((family) => [...family.head, ...family.samples]);
  return `${lines.join("\n")}\n`;
}

/** Serves the merged /metrics of workers 1..count on `base`; a worker that is down is left out. */
export function serveWorkerMetrics(options: { base: number; count: number; logger: Logger }) {
  const { base, count, logger } = options;
  const fetchOne = async (index: number) => {
    try {
      const response = await fetch(`http://127.0.0.1:${workerMetricsPort(base, index)}/metrics`, {
        signal: AbortSignal.timeout(5000),
      });
      return response.ok ? await response.text() : undefined;
    } catch {
      // Restarting, or not up yet: its series are missing from this scrape, as Prometheus
      // would see for a process that is down.
      return undefined;
    }
  };
  const server = Bun.serve({
    port: base,
    fetch: async (request) => {
      if (new URL(request.url).pathname !== "/metrics")
        return Response.json(
          { error: { code: "not_found", message: "Only /metrics is served on this port." } },
          { status: 404 },
        );
      const texts = await Promise.all(Array.from({ length: count }, (_, i) => fetchOne(i + 1)));
      return new Response(mergeWorkerMetrics(texts), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    },
  });
  logger.info("api workers' metrics", { port: server.port, workers: count });
  return server;
}
