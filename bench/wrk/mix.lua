-- wrk script of bench/leak.py: send a mix of requests in turn, and stop after a number of answers.
--
--   BENCH_MIX=dir BENCH_MIX_COUNT=3 BENCH_LIMIT=1000 wrk -t2 -c16 -d2h -s bench/wrk/mix.lua URL
--
-- BENCH_MIX holds, per request i (1..BENCH_MIX_COUNT), i.path, i.body and i.headers ("Name: value" lines).
-- Each thread stops after its share of BENCH_LIMIT answers and writes BENCH_MIX/done-<thread> (wrk is
-- duration-based: -d is only an upper bound, and bench/leak.py interrupts wrk once every thread is done).
-- Answers other than HTTP 200, or carrying "errors", are counted and reported.

local function read(path)
  local f = assert(io.open(path, "rb"), "cannot read " .. tostring(path))
  local text = f:read("*a")
  f:close()
  return text
end

local threads = {}
local thread_count = 0

function setup(thread)
  table.insert(threads, thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
end

function init(args)
  local dir = os.getenv("BENCH_MIX")
  local count = tonumber(os.getenv("BENCH_MIX_COUNT"))
  local limit = tonumber(os.getenv("BENCH_LIMIT"))
  local threads_total = tonumber(os.getenv("BENCH_THREADS"))
  requests = {}
  for i = 1, count do
    local headers = { ["Content-Type"] = "application/json" }
    for line in io.lines(dir .. "/" .. i .. ".headers") do
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then headers[name] = value end
    end
    local path = read(dir .. "/" .. i .. ".path")
    requests[i] = wrk.format("POST", path, headers, read(dir .. "/" .. i .. ".body"))
  end
  -- this thread's share of the answers (the first threads take the remainder)
  quota = math.floor(limit / threads_total)
  if id <= limit % threads_total then quota = quota + 1 end
  sent = 0
  answered = 0
  bad = 0
end

function request()
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 or body:find('"errors"', 1, true) then
    bad = bad + 1
  end
  if answered == quota then
    -- wrk waits out -d even when every thread has stopped: say so in a file; bench/leak.py then ends wrk
    -- with SIGINT, which still runs done()
    local f = io.open(os.getenv("BENCH_MIX") .. "/done-" .. id, "w")
    f:write(answered)
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answered_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    answered_total = answered_total + thread:get("answered")
    bad_total = bad_total + thread:get("bad")
  end
  io.write(string.format("BENCH answered=%d bad=%d duration_us=%d p50_us=%d p99_us=%d\n",
    answered_total, bad_total, summary.duration, latency:percentile(50), latency:percentile(99)))
end
