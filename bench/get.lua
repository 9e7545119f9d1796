-- GET /api/v1/suggestions/{id} for random ids from $IDS, as $TOKEN.
local ids = {}
local token = os.getenv("TOKEN")
init = function(args)
  for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end
request = function()
  return wrk.format("GET", "/api/v1/suggestions/" .. ids[math.random(#ids)], { ["Authorization"] = "Bearer " .. token })
end
