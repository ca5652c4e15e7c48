-- wrk script: send one pre-built request body (or header value) per request, never twice.
--
-- Environment (read by every thread):
--   BENCH_POOL     file with one item per line (a form body, or a token for a header)
--   BENCH_METHOD   POST (item = body) or GET (item = "Authorization: Bearer <item>")
--   BENCH_PATH     request path
--   BENCH_EXPECT   the status every answer must have (200, 204)
--   BENCH_SAMPLES  optional: file prefix; each thread writes a few answer bodies there
--   BENCH_WRAP     "1": cycle through the pool (allowed only where items may repeat)
--   BENCH_LIGHT    "1": no response() callback, so wrk does not parse answers in Lua (for
--                  the fastest endpoints, where that would make wrk the bottleneck); wrk
--                  still counts every status >= 400, and the orchestrator checks answers
--                  itself
--
-- Thread t of T takes lines t, t+T, t+2T, ... so no two threads send the same item.
-- Running out of items is never silent: the thread wraps, counts it ("wrapped"), and the
-- orchestrator rejects the run unless BENCH_WRAP=1.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  items = {}
  sent = 0
  wrapped = 0
  bad = 0
  answered = 0
  first_bad = ""
  method = os.getenv("BENCH_METHOD") or "POST"
  path = os.getenv("BENCH_PATH") or "/"
  expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
  allow_wrap = os.getenv("BENCH_WRAP") == "1"
  local stride = tonumber(os.getenv("BENCH_THREADS") or "1")
  local n = 0
  for line in io.lines(os.getenv("BENCH_POOL")) do
    if n % stride == id then
      items[#items + 1] = line
    end
    n = n + 1
  end
  next_item = 1
  local prefix = os.getenv("BENCH_SAMPLES")
  if prefix and prefix ~= "" then
    samples = io.open(prefix .. "." .. id, "w")
  end
  if os.getenv("BENCH_LIGHT") == "1" then
    response = nil  -- read by wrk after init(): answers are then not handed to Lua
  end
  if method == "POST" then
    headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  else
    headers = {}
  end
end

function request()
  if next_item > #items then
    next_item = 1
    wrapped = wrapped + 1
  end
  local item = items[next_item]
  next_item = next_item + 1
  sent = sent + 1
  if method == "POST" then
    return wrk.format("POST", path, headers, item)
  end
  headers["Authorization"] = "Bearer " .. item
  return wrk.format("GET", path, headers, nil)
end

function response(status, hdrs, body)
  answered = answered + 1
  if status ~= expect then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300)
    end
  end
  if samples and (answered <= 3 or answered % 500 == 0) then
    samples:write(tostring(status), "\t", body or "", "\n")
    samples:flush()
  end
end

function done(summary, latency, requests)
  local total_sent, total_wrapped, total_bad, total_answered = 0, 0, 0, 0
  local most = 0
  local first = ""
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    most = math.max(most, thread:get("sent"))
    total_wrapped = total_wrapped + thread:get("wrapped")
    total_bad = total_bad + thread:get("bad")
    total_answered = total_answered + thread:get("answered")
    if first == "" then
      first = thread:get("first_bad")
    end
  end
  -- Thread t sent lines t, t+T, ...: every line below span = T x (most any thread sent)
  -- may have been used, so the next run of the same pool starts there.
  io.write(string.format("BENCH sent=%d answered=%d bad=%d wrapped=%d span=%d\n",
    total_sent, total_answered, total_bad, total_wrapped, most * #threads))
  if first ~= "" then
    io.write("BENCH first_bad=", (string.gsub(first, "\n", " ")), "\n")
  end
end
