-- wrk script: productByBarcode with a random barcode per request, and a
-- check of every response body. Env: BENCH_TOKEN, BENCH_LOCATION,
-- BENCH_BARCODES (a file, one code per line).
-- With BENCH_SEQUENTIAL=1 each thread walks the barcodes in order (thread
-- n takes codes n, n + threads, ...), so no code is asked twice until the
-- list runs out: every lookup is a first scan. A thread stops at the end of
-- its share of the list, so a fast run never turns into a warm one.
local threads = {}

-- Wall clock in seconds (wrk's own rate divides by the whole -d duration,
-- which a sequential run that stops early does not fill).
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } pos_timespec;
  int clock_gettime(int clock, pos_timespec *ts);
]]
local function now()
  local ts = ffi.new("pos_timespec")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  token = os.getenv("BENCH_TOKEN")
  location = os.getenv("BENCH_LOCATION")
  codes = {}
  for line in io.lines(os.getenv("BENCH_BARCODES")) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  bad = 0
  checked = 0
  sequential = os.getenv("BENCH_SEQUENTIAL") == "1"
  stride = tonumber(os.getenv("BENCH_THREADS") or "2")
  -- Sequential mode walks codes offset+1 .. limit (defaults: all codes).
  offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
  limit = tonumber(os.getenv("BENCH_LIMIT") or tostring(#codes))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/json"
  wrk.headers["authorization"] = "Bearer " .. token
end

local query = '{"query":"query($b: String!, $l: ID) { productByBarcode(barcode: $b, locationId: $l) { variant { sku } unitPrice { amount } tax { amount } } }","variables":{"b":"%s","l":"%s"}}'

function request()
  local code
  if sequential then
    first_sent = first_sent or now()
    if index > limit - offset then
      wrk.thread:stop()
    end
    code = codes[offset + ((index - 1) % (limit - offset)) + 1]
    index = index + stride
  else
    code = codes[math.random(#codes)]
  end
  return wrk.format(nil, nil, nil, string.format(query, code, location))
end

function response(status, headers, body)
  checked = checked + 1
  last_seen = now()
  if status ~= 200 or body:find('"errors"', 1, true) or not body:find('"sku"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_checked, started, ended = 0, 0, nil, nil
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_checked = total_checked + t:get("checked")
    local s, e = t:get("first_sent"), t:get("last_seen")
    if s and (not started or s < started) then started = s end
    if e and (not ended or e > ended) then ended = e end
  end
  io.write(string.format("checked %d responses, %d with errors or no variant\n", total_checked, total_bad))
  if started and ended and ended > started then
    io.write(string.format("sequential rate %.2f\n", total_checked / (ended - started)))
  end
end
