-- wrk reporting script for benchmarks/run_http_bench.py.
-- Prints one machine-readable line at the end of a run. Latencies are in microseconds
-- (wrk's unit); run_http_bench.py converts them to milliseconds.

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %.0f, "bytes": %.0f, "rps": %.2f, '
      .. '"p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "mean_us": %.1f, "max_us": %.0f, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, '
      .. '"errors_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
