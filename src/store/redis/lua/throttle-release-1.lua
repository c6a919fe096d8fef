--[[
  Free the in-flight slots of one or more leases (the client batches the releases of one turn).
  KEYS[1] slots P:{t:<peer>}:f   ARGV lease tokens
]]
return redis.call('ZREM', KEYS[1], unpack(ARGV))
