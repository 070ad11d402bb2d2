-- wrk_report.lua -- make wrk print one machine-readable summary line.
--
-- Used by tests/bench/bench.py: `wrk -s wrk_report.lua ...`. It defines
-- only done(), so wrk keeps its fast path (one pre-built request, no Lua
-- call per request). The line starts with "BENCH_JSON " and carries the
-- totals, the error counts by kind and latency percentiles in microseconds.

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
