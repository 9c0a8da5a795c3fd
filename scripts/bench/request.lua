-- wrk script for `make bench`: rotates through a pool of credentials (one per line in
-- $TOKENS_FILE, sent as $AUTH_PREFIX..token in header $AUTH_HEADER), or sends a fixed
-- header; $METHOD and $BODY make POSTs. Prints one RESULT line of JSON at the end.
local method = os.getenv("METHOD") or "GET"
local body = os.getenv("BODY")
local header = os.getenv("AUTH_HEADER")
local prefix = os.getenv("AUTH_PREFIX") or ""
local fixed = os.getenv("AUTH_VALUE")
local tokens = {}
local file = os.getenv("TOKENS_FILE")
if file then
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end
local i = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  i = math.random(1, math.max(#tokens, 1))
end

function request()
  local headers = {}
  if body then headers["content-type"] = "application/x-www-form-urlencoded" end
  if header then
    if #tokens > 0 then
      i = i % #tokens + 1
      headers[header] = prefix .. tokens[i]
    elseif fixed then
      headers[header] = fixed
    end
  end
  return wrk.format(method, nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
