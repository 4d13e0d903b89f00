-- wrk script of `make bench`: POST /api/interactions/ with a distinct interaction on every request.
--
--   wrk -t2 -c8 -d20s -s benchmarks/post_interaction.lua http://127.0.0.1:PORT -- TOKEN RUN CAP OCCURRED_AT
--
-- TOKEN: the API token; RUN: a tag making this run's external ids and emails unique (source "bench-wrk-RUN");
-- CAP: requests per thread, after which the thread stops (wrk's -d bounds the seconds); OCCURRED_AT: an ISO
-- time for every interaction. Each thread names 250 customers of its own (wrk-RUN-T-K@example.com): the first
-- request of each creates it, the next ones are resolved to it. done() prints one line "WRKJSON {...}" with
-- the counts and latency percentiles (microseconds) that benchmarks/run.py reads.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local cap = 0
local run = ""
local occurred_at = ""

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Token " .. args[1]
  wrk.headers["X-Forwarded-Proto"] = "https"
  run = args[2]
  cap = tonumber(args[3])
  occurred_at = args[4]
end

function request()
  counter = counter + 1
  local key = tid .. "-" .. counter
  local body = string.format(
    '{"channel":"chat","type":"message","direction":"inbound","occurred_at":"%s",'
      .. '"summary":"Chat message %s","source":"bench-wrk-%s","external_id":"%s",'
      .. '"identities":[{"kind":"email","value":"wrk-%s-%s-%d@example.com"}]}',
    occurred_at, key, run, key, run, tid, counter % 250
  )
  return wrk.format(nil, "/api/interactions/", nil, body)
end

function response(status, headers, body)
  if counter >= cap then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors_status":%d,"errors_connect":%d,"errors_read":%d,'
      .. '"errors_write":%d,"errors_timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max
  ))
end
