-- GET /public/replies.atom (the newest 50), no token.
request = function()
  return wrk.format("GET", "/public/replies.atom")
end
