-- wrk script for bench/load.py: POST canvas PNGs to /api/v1/predict as signed-in users.
--
--   wrk -t2 -c16 -d22s --timeout=20s -s bench/load_post.lua URL -- DIR THREADS STOP_AFTER_S
--
-- DIR holds users.txt ("sessionid csrftoken" per line) and 0.png, 1.png, ... . Thread k
-- of THREADS takes users k, k+THREADS, ... and rotates through (png, user) pairs, so
-- consecutive requests of a thread come from different users and every user sends
-- every drawing (wrk's Lua has no per-connection hook: users rotate per request, and 16
-- users on 16 connections each have about one request in flight). After STOP_AFTER_S seconds no connection starts a new request (delay()
-- parks it), so every request sent gets its answer before wrk stops: the server's stored
-- count can then be compared exactly with the 201s counted here. wrk's duration must end
-- less than gunicorn's keep-alive (2 s) after the stop, or the server closes the parked
-- connections and wrk reconnects with a new request (counted as "late"). wrk threads have
-- separate Lua states; done() (in the main state) collects each thread's counters.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_s()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC: the same clock in every thread
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- Main state: one entry per thread, for done().
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- Thread states.
local requests, next_request, stop_at, verifying = {}, 1, nil, false
sent, late, answered, n2xx, n201, n5xx, non2xx = 0, 0, 0, 0, 0, 0, 0
first_at, last_at, statuses, sample_error = nil, 0, "", ""
local by_status = {}

function init(args)
  local dir, nthreads, stop_after = args[1], tonumber(args[2]), tonumber(args[3])
  assert(dir and nthreads and stop_after, "arguments: DIR THREADS STOP_AFTER_S")
  local users, index = {}, 0
  for line in io.lines(dir .. "/users.txt") do
    local sessionid, csrftoken = line:match("^(%S+)%s+(%S+)$")
    if sessionid then
      if index % nthreads == tid then table.insert(users, { sessionid, csrftoken }) end
      index = index + 1
    end
  end
  assert(#users > 0, "no user for thread " .. tid .. " in " .. dir .. "/users.txt")
  local pngs = {}
  while true do
    local file = io.open(dir .. "/" .. #pngs .. ".png", "rb")
    if not file then break end
    table.insert(pngs, file:read("*a"))
    file:close()
  end
  assert(#pngs > 0, "no PNG in " .. dir)
  local boundary = "----digitsload" .. tid
  for _, png in ipairs(pngs) do
    local body = "--" .. boundary .. "\r\n"
      .. 'Content-Disposition: form-data; name="source"\r\n\r\ncanvas\r\n'
      .. "--" .. boundary .. "\r\n"
      .. 'Content-Disposition: form-data; name="image"; filename="drawing.png"\r\n'
      .. "Content-Type: image/png\r\n\r\n" .. png .. "\r\n"
      .. "--" .. boundary .. "--\r\n"
    for _, user in ipairs(users) do
      table.insert(requests, wrk.format("POST", nil, {
        ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
        ["Cookie"] = "sessionid=" .. user[1] .. "; csrftoken=" .. user[2],
        ["X-CSRFToken"] = user[2],
        ["Accept"] = "application/json",
      }, body))
    end
  end
  stop_at = now_s() + stop_after
  -- wrk (4.x, script_verify_request) calls request() once on the first thread's state
  -- right after its init() to check the request; that call sends nothing.
  verifying = tid == 0
end

function request()
  local req = requests[next_request]
  next_request = next_request % #requests + 1
  if verifying then
    verifying = false
    return req
  end
  sent = sent + 1
  local now = now_s()
  if not first_at then first_at = now end
  if now >= stop_at then late = late + 1 end -- a reconnect after the stop: reported
  return req
end

function delay()
  if now_s() >= stop_at then return 3600000 end -- park this connection until wrk ends
  return 0
end

function response(status, headers, body)
  answered = answered + 1
  last_at = now_s()
  by_status[status] = (by_status[status] or 0) + 1
  if status >= 200 and status < 300 then n2xx = n2xx + 1 else non2xx = non2xx + 1 end
  if status == 201 then n201 = n201 + 1 end
  if status >= 500 then n5xx = n5xx + 1 end
  if status >= 300 and sample_error == "" then
    sample_error = status .. " " .. (body or ""):sub(1, 200):gsub("[%c\"\\]", " ")
  end
  local parts = {}
  for code, count in pairs(by_status) do table.insert(parts, code .. ":" .. count) end
  statuses = table.concat(parts, ",")
end

function done(summary, latency, requests)
  local totals = { sent = 0, late = 0, answered = 0, n2xx = 0, n201 = 0, n5xx = 0, non2xx = 0 }
  local first, last, codes, sample = nil, 0, {}, ""
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do totals[key] = totals[key] + (thread:get(key) or 0) end
    local t_first, t_last = thread:get("first_at"), thread:get("last_at") or 0
    if t_first and (not first or t_first < first) then first = t_first end
    if t_last > last then last = t_last end
    for code, count in (thread:get("statuses") or ""):gmatch("(%d+):(%d+)") do
      codes[code] = (codes[code] or 0) + tonumber(count)
    end
    if sample == "" then sample = thread:get("sample_error") or "" end
  end
  local status_parts = {}
  for code, count in pairs(codes) do table.insert(status_parts, '"' .. code .. '":' .. count) end
  local errors = summary.errors
  io.write(string.format(
    'LOADRESULT {"requests":%d,"window_s":%.6f,"sent":%d,"late":%d,"answered":%d,"n2xx":%d,"n201":%d,'
      .. '"n5xx":%d,"non2xx":%d,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,'
      .. '"max_ms":%.3f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,'
      .. '"statuses":{%s},"sample_error":"%s"}\n',
    summary.requests, first and (last - first) or 0, totals.sent, totals.late, totals.answered, totals.n2xx,
    totals.n201, totals.n5xx, totals.non2xx, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    latency.max / 1000, errors.connect, errors.read, errors.write, errors.timeout,
    table.concat(status_parts, ","), sample))
end
