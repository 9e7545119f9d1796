-- GET /public/replies?year=Y (a year's first page of 50), no token.
request = function()
  return wrk.format("GET", string.format("/public/replies?year=%d", math.random(2014, 2023)))
end
