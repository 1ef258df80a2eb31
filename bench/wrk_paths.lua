-- wrk script for `make bench`: each request takes the next path from a file (one per line), each thread
-- starting at its own offset, so a run never repeats a query until it has used them all (the roster caches
-- answers per query: repeating one would measure the cache). Counts answers other than 200 (wrk alone only
-- counts statuses >= 400) and prints one JSON line with latency percentiles in microseconds.
-- usage: wrk ... -s wrk_paths.lua http://127.0.0.1:8107 -- paths.txt <threads> [cookie]

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
  cursor = math.floor(id * #paths / count)
  cookie = args[3]
  non200 = 0
end

function request()
  cursor = cursor + 1
  if cursor > #paths then
    cursor = 1
  end
  if cookie and #cookie > 0 then
    return wrk.format("GET", paths[cursor], { ["Cookie"] = cookie })
  end
  return wrk.format("GET", paths[cursor])
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non = 0
  for _, t in ipairs(threads) do
    non = non + (t:get("non200") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, non,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
