--[[
  Add a history entry to one recipient without changing its state (e.g. a delivery receipt after the end).
  KEYS[1] message hash P:{sN}:m:<id>   ARGV[1] recipient index   ARGV[2] now   ARGV[3] detail
  Returns 1, or 0 when the message or recipient is unknown.
]]
local i = ARGV[1]
local j = redis.call('HMGET', KEYS[1], 's' .. i, 'a' .. i, 'h' .. i)
if not j[1] then return 0 end
redis.call('HSET', KEYS[1], 'h' .. i, history(j[3], ARGV[2], j[1], j[2], ARGV[3]))
return 1
