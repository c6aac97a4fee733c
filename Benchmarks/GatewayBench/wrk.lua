-- wrk script of Benchmarks/run-gateway-bench: signed Messenger webhooks to the shared Meta endpoint
-- (POST /webhooks/facebook), from a file `gateway-bench requests` wrote: one request a line, the
-- hex HMAC-SHA256 of the body, a space, the body (one-line JSON).
--
--   wrk -t2 -c32 -d20s --latency --timeout 10s -s wrk.lua http://127.0.0.1:8080 -- FILE THREADS [RATE]
--
-- THREADS is wrk's -t again: thread i of T takes lines i, i + T, i + 2T... of the file, so no
-- request is sent twice (every Lua state reads the file once, in init, before its thread sends).
-- A thread that has sent its share does not wrap around (a repeated mid is a duplicate, which the
-- gateway answers without committing, and would inflate the rate): it sends GET /bench/exhausted,
-- a 404, counted apart. wrk checks the syntax of thread 1's first request before the run, so that
-- one is taken from the file and never sent.
-- RATE (requests/s of the whole run; 0 or absent: as fast as the connections go) paces each
-- thread at RATE / THREADS through delay(): one schedule per thread, shared by its connections,
-- so the rate holds whatever the latency; a thread more than 100 ms behind its schedule (every
-- connection waiting for an answer) skips ahead rather than bursting, and counts it ("behind").
-- done() prints wrk's latency percentiles and the counts as one line for the script:
--   RESULT ok=.. rejected=.. exhausted=.. errors=.. rate=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. behind=.. statuses=200:n,...
-- `rate` is 200s per second over each thread's own window (its first to its last 200), summed over
-- the threads: the threads do not start at once (each one's init reads the file first), and wrk's
-- Requests/sec counts the 404s too.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } gateway_bench_timespec;
int clock_gettime(int clock_id, gateway_bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("gateway_bench_timespec")

local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

-- The main Lua state: one entry per thread, for done().
local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("id", #threads)
end

-- Each thread's Lua state. `id` is set by setup() before init() runs.
local queue = {}
local next_request = 1
local exhausted_request = nil
local interval_ms = 0
local next_slot = nil

ok = 0
rejected = 0
exhausted = 0
behind = 0
statuses = {}
first_ms = nil
last_ms = nil

local function fail(message)
   io.stderr:write("wrk.lua: " .. message .. "\n")
   os.exit(2)
end

local function paced_delay()
   local now = now_ms()
   if next_slot == nil then
      next_slot = now
   elseif next_slot < now - 100 then
      behind = behind + 1
      next_slot = now
   end
   local wait = next_slot - now
   next_slot = next_slot + interval_ms
   if wait <= 0 then return 0 end
   return math.floor(wait)
end

function init(args)
   -- args[0] is the URL, the script's own arguments follow it.
   local file, thread_count, rate = args[1], tonumber(args[2] or ""), tonumber(args[3] or "0")
   if file == nil or thread_count == nil or thread_count < 1 or rate == nil or rate < 0 then
      fail("usage: wrk ... -s wrk.lua URL -- FILE THREADS [RATE]")
   end
   if id == nil or id > thread_count then
      fail("THREADS (" .. tostring(thread_count) .. ") must be wrk's -t")
   end
   local handle = io.open(file, "r")
   if handle == nil then fail("cannot read " .. file) end
   handle:close()
   local headers = {}
   local line_number = 0
   for line in io.lines(file) do
      if line_number % thread_count == id - 1 then
         if #line < 67 or line:sub(65, 65) ~= " " then
            fail(file .. ":" .. (line_number + 1) .. " is not '<64 hex digits> <body>'")
         end
         headers["Content-Type"] = "application/json"
         headers["X-Hub-Signature-256"] = "sha256=" .. line:sub(1, 64)
         queue[#queue + 1] = wrk.format("POST", "/webhooks/facebook", headers, line:sub(66))
      end
      line_number = line_number + 1
   end
   if #queue == 0 then fail(file .. " has no line for thread " .. id) end
   exhausted_request = wrk.format("GET", "/bench/exhausted", {}, nil)
   if rate > 0 then
      interval_ms = 1000 * thread_count / rate
      delay = paced_delay
   end
end

function request()
   local index = next_request
   if index <= #queue then
      next_request = index + 1
      return queue[index]
   end
   exhausted = exhausted + 1
   return exhausted_request
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 200 then
      ok = ok + 1
      local now = now_ms()
      if first_ms == nil then first_ms = now end
      last_ms = now
   end
end

-- The main Lua state again, after the run.
function done(summary, latency, requests)
   local total = { ok = 0, exhausted = 0, behind = 0, answers = 0, not_found = 0 }
   local by_status = {}
   local rate = 0
   for _, thread in ipairs(threads) do
      local thread_ok = thread:get("ok") or 0
      total.ok = total.ok + thread_ok
      total.exhausted = total.exhausted + (thread:get("exhausted") or 0)
      total.behind = total.behind + (thread:get("behind") or 0)
      local first, last = thread:get("first_ms"), thread:get("last_ms")
      if first ~= nil and last ~= nil and last > first then
         rate = rate + thread_ok / ((last - first) / 1000)
      end
      for status, count in pairs(thread:get("statuses") or {}) do
         by_status[status] = (by_status[status] or 0) + count
         total.answers = total.answers + count
         if tonumber(status) == 404 then total.not_found = total.not_found + count end
      end
   end
   -- Answers other than 200 to signed webhooks: the 404s of exhausted threads are not among them.
   local rejected = total.answers - total.ok - math.min(total.not_found, total.exhausted)
   local codes = {}
   for status, _ in pairs(by_status) do codes[#codes + 1] = tonumber(status) end
   table.sort(codes)
   local parts = {}
   for _, status in ipairs(codes) do
      parts[#parts + 1] = string.format("%d:%d", status, by_status[status] or by_status[tostring(status)])
   end
   local errors = summary.errors
   local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
   print(string.format(
      "RESULT ok=%d rejected=%d exhausted=%d errors=%d rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f behind=%d statuses=%s",
      total.ok, rejected, total.exhausted, socket_errors, rate,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, total.behind, #parts > 0 and table.concat(parts, ",") or "none"))
end
