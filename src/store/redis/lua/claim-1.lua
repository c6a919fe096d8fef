--[[
  Claim an idempotency record (IdempotencyStore.claim): store the value unless a live record is there. One
  script, not SET NX then GET, so that two claims at once both see the one value recorded (SET NX GET would
  do it in one command, but only from Redis 7.0; 6.2 is supported).
  KEYS[1] the record P:{i:<scope>:<key>}   ARGV[1] value   ARGV[2] TTL in ms
  Returns { 1, value } when this claim recorded it, { 0, the value recorded before } otherwise.
]]
local v = redis.call('GET', KEYS[1])
if v then return { 0, v } end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 1, ARGV[1] }
