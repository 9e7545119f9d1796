-- GET /api/v1/ledger?year=Y (the first page of 50) for a random year of 2014..2023.
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", string.format("/api/v1/ledger?year=%d&limit=50", math.random(2014, 2023)),
    { ["Authorization"] = "Bearer " .. token })
end
