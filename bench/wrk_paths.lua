-- wrk script for `make bench`: each request takes the next path from a file (one per line). Counts answers
-- other than 200 (wrk alone only counts statuses >= 400) and prints one JSON line with latency percentiles in
-- microseconds, the paths handed out and whether the run ran out of them.
-- usage: wrk ... -s wrk_paths.lua http://127.0.0.1:8107 -- paths.txt <threads> [cookie] [once|cycle]
--
-- once (the cold searches): the paths are split into one disjoint share per thread and no path is ever asked
--   twice in a run, whatever the machine's speed: a thread that has used its share stops and sends nothing
--   more (and says so: threads_ran_out, active_us the time it really ran). The roster caches
--   answers per query, so a repeated query would measure the cache: here there is none by construction.
-- cycle (the trivial view, the cached-search comparison): the paths are asked round and round.

local ffi = require("ffi") -- wrk runs LuaJIT: a wall clock in microseconds for the time a run really took
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")

local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  local count = tonumber(args[2]) or 1
  cookie = args[3]
  once = args[4] == "once"
  first = math.floor(id * #paths / count) -- this thread's share: paths[first + 1 .. last]
  last = math.floor((id + 1) * #paths / count)
  if not once then
    last = #paths
  end
  cursor = first
  issued = 0
  ran_out = 0
  non200 = 0
  started_us = now_us()
  last_us = started_us
end

local function run_out()
  ran_out = 1
  wrk.thread:stop()
end

function delay()
  if once and cursor >= last then
    run_out()
    return 3600000 -- never sent: the thread stops first
  end
  return 0
end

function request()
  -- delay() is not asked before every request (not after a connection error, for one), so check again here
  if once and cursor >= last then
    run_out()
    return "" -- writes nothing; the thread stops before waiting for an answer
  end
  cursor = cursor + 1
  if cursor > last then
    cursor = 1 -- cycle only
  end
  issued = issued + 1
  if cookie and #cookie > 0 then
    return wrk.format("GET", paths[cursor], { ["Cookie"] = cookie })
  end
  return wrk.format("GET", paths[cursor])
end

function response(status, headers, body)
  last_us = now_us()
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non, handed, out, from, to = 0, 0, 0, nil, 0
  for _, t in ipairs(threads) do
    non = non + (t:get("non200") or 0)
    handed = handed + (t:get("issued") or 0)
    out = out + (t:get("ran_out") or 0)
    local s, l = t:get("started_us") or 0, t:get("last_us") or 0
    from = from and math.min(from, s) or s
    to = math.max(to, l)
  end
  -- wrk's own duration is always the -d it was given (its main thread sleeps that long); a run whose threads
  -- ran out of paths ended at its last answer
  local active = to - (from or to)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, "issued": %d, ' ..
    '"threads_ran_out": %d, "active_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, non, handed, out, active,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
