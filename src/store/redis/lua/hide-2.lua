--[[
  Hide a peer in one shard until a given time (it is throttled): take hands out none of its jobs there
  before then. The queue calls this on every shard, so that a throttled peer is hidden store-wide.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] hide times P:{sN}:hide
  ARGV[1] peer   ARGV[2] until (ms)
]]
local untilMs = tonumber(ARGV[2])
if untilMs > tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if cur and tonumber(cur) < untilMs * 1024 then redis.call('ZADD', KEYS[1], ms_score(untilMs), ARGV[1]) end
return 1
