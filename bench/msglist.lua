-- wrk script for Petrel's message-list request (bench/run.sh).
--
-- Every wrk thread drives exactly one connection (run with -t N -c N) and
-- is given one of the sessions in $BENCH_SESSIONS (lines "cookie<TAB>csrf"),
-- round robin: one line = all clients share one session, N lines = one
-- session per client. $BENCH_BODY is the JSON body; $BENCH_MAX_PER_THREAD
-- caps the requests of one thread (a safety bound, normally not reached).
-- done() prints one JSON line that bench.py reads.

local sessions = {}
local threads = {}
local next_session = 0

function setup(thread)
	if #sessions == 0 then
		for line in io.lines(os.getenv("BENCH_SESSIONS")) do
			local c, t = line:match("^(.-)\t(.*)$")
			if c then table.insert(sessions, {c, t}) end
		end
	end
	local s = sessions[(next_session % #sessions) + 1]
	next_session = next_session + 1
	thread:set("cookie", s[1])
	thread:set("token", s[2])
	table.insert(threads, thread)
end

function init(args)
	max_requests = tonumber(os.getenv("BENCH_MAX_PER_THREAD") or "20000")
	done_requests = 0
	bad = 0
	req = wrk.format("POST", "/api/MessageList", {
		["Host"] = "127.0.0.1",
		["Content-Type"] = "application/json",
		["Cookie"] = "petrel_session=" .. cookie,
		["X-Petrel-Token"] = token,
	}, os.getenv("BENCH_BODY"))
end

function request()
	return req
end

function response(status, headers, body)
	done_requests = done_requests + 1
	if status ~= 200 then bad = bad + 1 end
	if done_requests >= max_requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
	local bad_total = 0
	for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
	local e = summary.errors
	io.write(string.format(
		'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, ' ..
		'"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f, ' ..
		'"max_ms": %.3f, "non200": %d, "errors": %d}\n',
		summary.requests, summary.duration / 1e6,
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000, latency.mean / 1000, latency.max / 1000,
		bad_total, e.connect + e.read + e.write + e.timeout))
end
