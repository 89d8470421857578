-- wrk script for the bench: random ids, optional POST bodies, results as one JSON line from done().
-- Arguments (after --): a path template with {id}, a file of ids (GET) or of JSON bodies (POST), one a line;
-- the method; optionally one more header as "Name: value" (an Authorization for the gateway).
local counter = 1

function setup(thread)
    thread:set("thread_number", counter)
    counter = counter + 1
end

local requests = {}

function init(args)
    local template, lines_file, method, extra_header = args[1], args[2], args[3] or "GET", args[4]
    local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
    if extra_header and extra_header ~= "" then
        local name, value = extra_header:match("^([^:]+):%s*(.*)$")
        headers[name] = value
    end
    for line in io.lines(lines_file) do
        if method == "POST" then
            requests[#requests + 1] = wrk.format(method, template, headers, line)
        else
            requests[#requests + 1] = wrk.format(method, (template:gsub("{id}", line)), headers)
        end
    end
    math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function request()
    return requests[math.random(#requests)]
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, ' ..
        '"errors_write": %d, "errors_timeout": %d, "errors_status": %d, "latency_p50_us": %d, ' ..
        '"latency_p90_us": %d, "latency_p99_us": %d, "latency_mean_us": %.1f, "latency_max_us": %d}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
