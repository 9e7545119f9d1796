-- GET /api/v1/suggestions?year=Y&source=S (the first page of 50), as $TOKEN.
local token = os.getenv("TOKEN")
local sources = { "npc", "cppcc" }
request = function()
  local path = string.format("/api/v1/suggestions?year=%d&source=%s", math.random(2014, 2023), sources[math.random(2)])
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
