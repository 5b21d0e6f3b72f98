-- wrk script for the form-submission endpoint of benchmarks/run_http_bench.py: POSTs the same
-- §34 IfSG notification with a fresh Idempotency-Key each time (so each request is a new
-- submission, not a replay), then reports like wrk_report.lua.
-- Environment: OEGD_BENCH_BODY (file with the JSON body), OEGD_BENCH_TOKEN (API token),
-- OEGD_BENCH_REPORT (path of wrk_report.lua).

local body_file = assert(io.open(os.getenv("OEGD_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OEGD_BENCH_TOKEN")

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1e9))
local counter = 0
request = function()
  counter = counter + 1
  -- wrk.format replaces all headers when given a table: copy the common ones (Host, token) first
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = run .. "-" .. tostring(thread_id) .. "-" .. counter
  return wrk.format(nil, nil, headers)
end

dofile(os.getenv("OEGD_BENCH_REPORT"))
