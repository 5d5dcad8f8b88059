-- wrk script of bench/perf.py: POST one request again and again, and report what perf.py parses.
--
--   BENCH_BODY=body.json BENCH_HEADERS=headers.txt wrk -t2 -c16 -d10s --latency -s bench/wrk/post.lua URL
--
-- BENCH_BODY holds the request body (a GraphQL document and its variables as JSON, or the floor's
-- parameters); BENCH_HEADERS one "Name: value" per line (Authorization, X-Purpose). perf.py writes both
-- per workload and server. Every answer is checked: an HTTP status other than 200, a body carrying "errors",
-- or one shorter than BENCH_MIN_BYTES is counted, so a server that fails fast cannot post a fast number.

local function read(path)
  local f = assert(io.open(path, "rb"), "cannot read " .. tostring(path))
  local text = f:read("*a")
  f:close()
  return text
end

wrk.method = "POST"
wrk.body = read(os.getenv("BENCH_BODY"))
wrk.headers["Content-Type"] = "application/json"
local header_file = os.getenv("BENCH_HEADERS")
if header_file and header_file ~= "" then
  for line in io.lines(header_file) do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then wrk.headers[name] = value end
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad_status = 0
  graphql_errors = 0
  short = 0
  min_bytes = tonumber(os.getenv("BENCH_MIN_BYTES") or "0")
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif body:find('"errors"', 1, true) then
    graphql_errors = graphql_errors + 1
  elseif #body < min_bytes then
    short = short + 1
  end
end

function done(summary, latency, requests)
  local status, errors, too_short = 0, 0, 0
  for _, thread in ipairs(threads) do
    status = status + thread:get("bad_status")
    errors = errors + thread:get("graphql_errors")
    too_short = too_short + thread:get("short")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d bad_status=%d graphql_errors=%d " ..
    "short=%d socket_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    status, errors, too_short, e.connect + e.read + e.write, e.timeout))
end
