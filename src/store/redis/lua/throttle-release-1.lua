--[[
  Free the in-flight slot of one lease.
  KEYS[1] slots P:{t:<peer>}:f   ARGV[1] lease token
]]
return redis.call('ZREM', KEYS[1], ARGV[1])
