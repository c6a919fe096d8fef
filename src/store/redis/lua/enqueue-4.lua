--[[
  Store a message and one job per recipient, atomically (all keys share the shard's hash tag). The content
  was written just before by the caller (SET of KEYS[2] with a short TTL, on the same connection, so it
  arrives first): the script checks it is there, so that no message is accepted without its content, and
  gives it the message's TTL.
  Content does not pass through the script: a 10 KB argument alone costs Lua ~12 µs.
  (Batching enqueues into one call per tick was measured: no gain, the per-message work dominates.)
  KEYS[1] message hash P:{sN}:m:<id>   KEYS[2] content P:{sN}:c:<id>   KEYS[3] peer schedule P:{sN}:peers
  KEYS[4] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] message id   ARGV[3] message JSON   ARGV[4] expiresAt   ARGV[5] due (ms)
  ARGV[6] max attempts   ARGV[7] TTL (ms)   ARGV[8] now   ARGV[9] delivery report asked (1/0)
  ARGV[10] content: 0 none, 1 written by the caller's SET (it gets the TTL here), 2 streamed into the key (Queue.stage:
  its last slice is sent just before this script, on the same connection; the key gets the message's TTL here)
  ARGV[11] for content 2, the frame's size in bytes: a slice write that failed leaves the key short, and the
  message is refused   ARGV[12] recipient count n   ARGV[13 .. 12+n] peer of each recipient
  Returns 1 when stored, 0 when a message with this id already exists (an idempotent re-submission);
  an error when the content is missing or incomplete.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local p, id, due, now = ARGV[1], ARGV[2], tonumber(ARGV[5]), ARGV[8]
local n = tonumber(ARGV[12])
-- The content came with a short TTL (so that content whose script is refused, e.g. at maxmemory, goes soon):
-- PEXPIRE both checks it is there and gives it the message's TTL.
if ARGV[10] == '1' and redis.call('PEXPIRE', KEYS[2], ARGV[7]) == 0 then return redis.error_reply('content missing for ' .. id) end
if ARGV[10] == '2' then
  if redis.call('STRLEN', KEYS[2]) ~= tonumber(ARGV[11]) then return redis.error_reply('content incomplete for ' .. id) end
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end

local fields = { 'json', ARGV[3], 'n', n, 'pending', n, 'exp', ARGV[4], 'max', ARGV[6], 'dr', ARGV[9] }
local queued = entry(now, 'queued', 0)
for i = 0, n - 1 do
  local k = #fields
  fields[k + 1], fields[k + 2] = 'p' .. i, ARGV[13 + i]
  fields[k + 3], fields[k + 4] = 's' .. i, 'queued'
  fields[k + 5], fields[k + 6] = 'a' .. i, 0
  fields[k + 7], fields[k + 8] = 'l' .. i, ''
  fields[k + 9], fields[k + 10] = 'h' .. i, queued
end
-- In chunks: unpack() of a very long table would overflow Lua's C stack.
for from = 1, #fields, 4000 do redis.call('HSET', KEYS[1], unpack(fields, from, math.min(from + 3999, #fields))) end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[4], id)

local seq = redis.call('INCRBY', p .. 'seq', n) - n
local touched = {}
for i = 0, n - 1 do
  local peer = ARGV[13 + i]
  redis.call('ZADD', p .. 'r:' .. peer, due_score(due, seq + i), id .. '/' .. i)
  touched[peer] = true
end
-- Each peer becomes visible at the due time, unless it is hidden (throttled) longer or already sooner
-- (ZADD LT: only ever moves a peer earlier, and adds one that is not scheduled).
for peer in pairs(touched) do
  local at = math.max(due, tonumber(redis.call('HGET', p .. 'hide', peer) or '0'))
  redis.call('ZADD', KEYS[3], 'LT', at, peer)
end
return 1
