import { describe, expect, test } from "bun:test";
import { mergeWorkerMetrics, workerMetricsPort } from "./worker-metrics.ts";

const worker = (open: number) => `# HELP ws_connections_open Open WebSocket connections.
# TYPE ws_connections_open gauge
ws_connections_open{service="api"} ${open}

# HELP http_request_duration_seconds HTTP request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",service="api",route="/a{b}"} 1
http_request_duration_seconds_count 1
`;

describe("mergeWorkerMetrics", () => {
  test("each family once with every worker's samples, each labelled with its worker", () => {
    expect(mergeWorkerMetrics([worker(3), undefined, worker(5)])).toBe(
      `# HELP ws_connections_open Open WebSocket connections.
# TYPE ws_connections_open gauge
ws_connections_open{service="api",worker="1"} 3
ws_connections_open{service="api",worker="3"} 5
# HELP http_request_duration_seconds HTTP request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",service="api",route="/a{b}",worker="1"} 1
http_request_duration_seconds_count{worker="1"} 1
http_request_duration_seconds_bucket{le="0.005",service="api",route="/a{b}",worker="3"} 1
http_request_duration_seconds_count{worker="3"} 1
`,
    );
  });

  test("empty label sets and untyped samples", () => {
    expect(mergeWorkerMetrics(["up{} 1\nplain 2 1700000000\n"])).toBe(
      'up{worker="1"} 1\nplain{worker="1"} 2 1700000000\n',
    );
  });
});

test("worker N's own port is METRICS_PORT + N; a lone process uses METRICS_PORT", () => {
  expect(workerMetricsPort(9464, undefined)).toBe(9464);
  expect(workerMetricsPort(9464, 2)).toBe(9466);
});
