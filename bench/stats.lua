-- GET /api/v1/stats?year=Y for a random year of 2014..2023, as $TOKEN (the office).
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", string.format("/api/v1/stats?year=%d", math.random(2014, 2023)),
    { ["Authorization"] = "Bearer " .. token })
end
