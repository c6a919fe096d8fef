--[[
  Store a message and one job per recipient, atomically (all keys share the shard's hash tag). The content
  was written just before by the caller (HSET on KEYS[2], same connection, so it arrives first): the script
  checks it is all there, so that no message is accepted without its content.
  KEYS[1] message hash P:{sN}:m:<id>   KEYS[2] content hash P:{sN}:c:<id>   KEYS[3] history P:{sN}:h:<id>
  KEYS[4] peer schedule P:{sN}:peers   KEYS[5] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] message id   ARGV[3] message JSON   ARGV[4] expiresAt   ARGV[5] due (ms)
  ARGV[6] max attempts   ARGV[7] safety TTL (ms)   ARGV[8] now   ARGV[9] delivery report asked (1/0)
  ARGV[10] number of parts   ARGV[11] recipient count n   ARGV[12 .. 11+n] peer of each recipient
  Returns 1 when stored, 0 when a message with this id already exists (an idempotent re-submission);
  an error when the content is missing.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local p, id, due, ttl, now = ARGV[1], ARGV[2], tonumber(ARGV[5]), ARGV[7], ARGV[8]
local parts, n = tonumber(ARGV[10]), tonumber(ARGV[11])
if parts > 0 and redis.call('HLEN', KEYS[2]) ~= parts then return redis.error_reply('content missing for ' .. id) end

local fields = { 'json', ARGV[3], 'n', n, 'pending', n, 'exp', ARGV[4], 'max', ARGV[6], 'dr', ARGV[9] }
local history = {}
for i = 0, n - 1 do
  local k = #fields
  fields[k + 1], fields[k + 2] = 'p' .. i, ARGV[12 + i]
  fields[k + 3], fields[k + 4] = 's' .. i, 'queued'
  fields[k + 5], fields[k + 6] = 'a' .. i, 0
  fields[k + 7], fields[k + 8] = 'l' .. i, ''
  history[i + 1] = i .. '|' .. now .. '|queued|0|'
end
-- In chunks: unpack() of a very long table would overflow Lua's C stack.
for from = 1, #fields, 4000 do redis.call('HSET', KEYS[1], unpack(fields, from, math.min(from + 3999, #fields))) end
for from = 1, #history, 4000 do redis.call('RPUSH', KEYS[3], unpack(history, from, math.min(from + 3999, #history))) end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
if parts > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('ZADD', KEYS[5], ARGV[4], id)

local seq = redis.call('INCRBY', p .. 'seq', n) - n
local touched = {}
for i = 0, n - 1 do
  local peer = ARGV[12 + i]
  redis.call('ZADD', p .. 'r:' .. peer, due_score(due, seq + i), id .. '/' .. i)
  touched[peer] = true
end
-- Each peer becomes visible at the due time, unless it is hidden (throttled) longer or already sooner.
for peer in pairs(touched) do
  local at = math.max(due, tonumber(redis.call('HGET', p .. 'hide', peer) or '0'))
  local cur = redis.call('ZSCORE', KEYS[4], peer)
  if not cur or tonumber(cur) > at then redis.call('ZADD', KEYS[4], at, peer) end
end
return 1
