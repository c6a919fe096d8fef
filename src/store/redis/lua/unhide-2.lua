--[[
  End a peer's hold in one shard (Queue.releasePeer): a hold is a hide time at or past ARGV[3] (the hold
  mark, far in the future); it is dropped and the peer scheduled at its first job again. A shorter hide
  (the peer is throttled) is left as it is. The queue calls this on every shard.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] hide times P:{sN}:hide
  ARGV[1] shard key prefix   ARGV[2] peer   ARGV[3] hold mark (ms)
  Returns 1 when a hold was ended here, else 0.
]]
local hide = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if hide < tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
reschedule(ARGV[1], KEYS[1], ARGV[2], 0)
return 1
