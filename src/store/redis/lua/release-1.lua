--[[
  Release an idempotency record (IdempotencyStore.release): delete it only while it still holds the value
  of the claim that made it, so that a caller never drops another request's record.
  KEYS[1] the record P:{i:<scope>:<key>}   ARGV[1] value
  Returns 1 when it was deleted, 0 otherwise.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
