-- wrk script: productByBarcode with a random barcode per request, and a
-- check of every response body. Env: BENCH_TOKEN, BENCH_LOCATION,
-- BENCH_BARCODES (a file, one code per line).
-- With BENCH_SEQUENTIAL=1 each thread walks the barcodes in order (thread
-- n takes codes n, n + threads, ...), so no code is asked twice until the
-- list runs out: every lookup is a first scan.
local threads = {}

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
    code = codes[offset + ((index - 1) % (limit - offset)) + 1]
    index = index + stride
  else
    code = codes[math.random(#codes)]
  end
  return wrk.format(nil, nil, nil, string.format(query, code, location))
end

function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or body:find('"errors"', 1, true) or not body:find('"sku"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad, total_checked = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    total_checked = total_checked + t:get("checked")
  end
  io.write(string.format("checked %d responses, %d with errors or no variant\n", total_checked, total_bad))
end
