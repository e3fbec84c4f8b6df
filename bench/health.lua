-- wrk script for the ceiling: GET /healthz, bodies checked for "ok".
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; checked = 0 end
function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or not body:find('"ok"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b, c = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); c = c + t:get("checked") end
  io.write(string.format("checked %d responses, %d with errors or no variant\n", c, b))
end
