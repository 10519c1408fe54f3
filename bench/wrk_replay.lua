-- wrk script of bench/intake.py: replays prepared raw HTTP requests (one file, requests separated
-- by NUL bytes), each once, so every request is a new signed submission with a fresh nonce.
--
--   wrk -t1 -c32 -d10s -s bench/wrk_replay.lua http://127.0.0.1:PORT -- requests.bin [delay_ms]
--
-- With `delay_ms`, each connection waits that long before its next request (a paced run); the
-- figures are printed as one JSON line for the bench to read.

local requests = {}
local next_index = 1
local delay_ms = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  for request in string.gmatch(data, "([^%z]+)") do
    requests[#requests + 1] = request
  end
  delay_ms = tonumber(args[2] or "0")
end

function request()
  local request = requests[next_index]
  next_index = next_index + 1
  if request == nil then
    -- Out of prepared requests: a repeat would be refused as a replay and counted as an error.
    next_index = 1
    request = requests[1]
  end
  return request
end

function delay()
  return delay_ms
end

function done(summary, latency, requests_done)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
