-- GET /api/v1/suggestions?q=... (the searches of $QUERIES, in Chinese), as $TOKEN. With $RATE
-- (requests/s over all connections) and $CONNECTIONS set, each connection paces itself.
local token = os.getenv("TOKEN")
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
local function enc(s) return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
local queries = {}
init = function(args)
  for line in io.lines(os.getenv("QUERIES")) do queries[#queries + 1] = line end
end
request = function()
  local q = queries[math.random(#queries)]
  return wrk.format("GET", "/api/v1/suggestions?q=" .. enc(q), { ["Authorization"] = "Bearer " .. token })
end
delay = function()
  if rate > 0 then return connections * 1000 / rate end
  return 0
end
