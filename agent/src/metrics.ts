/** Prometheus metrics of one app instance (its own registry: tests start many apps). */
import { Counter, collectDefaultMetrics, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runs = new Counter({
    name: "agent_runs_total",
    help: "POST /run requests received",
    registers: [registry],
  });
  const syncs = new Counter({
    name: "agent_capability_manual_syncs_total",
    help: "POST /update syncs by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return { registry, runs, syncs };
}
