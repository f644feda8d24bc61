/**
 * The run's outcome as metrics, pushed once over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set (the collector passes them to Prometheus, where Grafana's "Eval pass rate" reads them).
 * Gauges without units, so Prometheus keeps their names as they are.
 */
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import type { EvalRun } from "./results.ts";

export const evalMetricNames = {
  /** Share of cases that passed in the run, by model. */
  passRatio: "eval_pass_ratio",
  /** Cases of the run by suite, model and outcome (passed, failed). */
  cases: "eval_cases",
} as const;

/** The service name the results arrive under (Prometheus' `job`). */
export const evalServiceName = "trainer2-evals";

export async function pushRunMetrics(endpoint: string, run: EvalRun): Promise<void> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/metrics` }),
    // One push at shutdown; the interval never fires during a run this short.
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": evalServiceName }),
    readers: [reader],
  });
  const meter = provider.getMeter("trainer2-evals");
  const model = run.model.name;
  meter.createGauge(evalMetricNames.passRatio).record(run.summary.passRate, { model });
  const cases = meter.createGauge(evalMetricNames.cases);
  const suites = new Set(run.cases.map((c) => c.suite));
  for (const suite of suites) {
    const of = run.cases.filter((c) => c.suite === suite);
    const passed = of.filter((c) => c.passed).length;
    cases.record(passed, { suite, model, outcome: "passed" });
    cases.record(of.length - passed, { suite, model, outcome: "failed" });
  }
  await provider.shutdown();
}
