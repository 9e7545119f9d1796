-- GET /api/v1/stats/units?year=Y (each unit's score) for a random year of 2014..2023.
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", string.format("/api/v1/stats/units?year=%d", math.random(2014, 2023)),
    { ["Authorization"] = "Bearer " .. token })
end
