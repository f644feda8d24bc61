/** Prometheus metrics of one app instance (its own registry: tests start many apps). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runs = new Counter({
    name: "api_chat_runs_total",
    help: "Chat runs by how they ended (completed or the run.failed code)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: "api_chat_run_duration_seconds",
    help: "Chat run duration from the agent call to the stored answer",
    buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: [registry],
  });
  const sockets = new Gauge({
    name: "api_realtime_sockets",
    help: "Signed-in /realtime sockets",
    registers: [registry],
  });
  return { registry, runs, runSeconds, sockets };
}

export type Metrics = ReturnType<typeof createMetrics>;
