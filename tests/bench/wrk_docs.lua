-- wrk_docs.lua -- GET every document in turn, then the same summary line.
--
-- Used by tests/bench/bench.py for the S3 request bound over several
-- documents: `wrk -s wrk_docs.lua URL -- /api/a /api/b ...`. Requests are
-- built once per thread in init(); request() only hands them out.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local reqs = {}
local n = 0

init = function(args)
  for _, path in ipairs(args) do
    reqs[#reqs + 1] = wrk.format("GET", path)
  end
end

request = function()
  n = n % #reqs + 1
  return reqs[n]
end
