-- wrk's `done` hook: one JSON line with what bench/lib/wrk.ts reads (latency in microseconds).
done = function(summary, latency, requests)
  local curve = {}
  for p = 0, 100, 5 do
    curve[#curve + 1] = latency:percentile(p == 0 and 0.0001 or p)
  end
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests":%d,"durationUs":%d,"errors":%d,"minUs":%f,"meanUs":%f,"maxUs":%f,"p50Us":%f,"p95Us":%f,"p99Us":%f,"curveUs":[%s]}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    table.concat(curve, ",")))
end
