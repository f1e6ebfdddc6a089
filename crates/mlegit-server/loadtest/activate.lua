-- wrk script: each prepared activation request is sent exactly once.
-- wrk -t2 -c16 -d5s -s loadtest/activate.lua URL -- FILE THREADS
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[2])
  reqs = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then
      local path, body = line:match("^([^\t]+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
    end
    i = i + 1
  end
  idx = 0
end

function request()
  idx = idx + 1
  -- Exhausted: resend the last one, which the server refuses (counted as a non-2xx error).
  return reqs[math.min(idx, #reqs)]
end
