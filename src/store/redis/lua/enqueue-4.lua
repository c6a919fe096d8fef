--[[
  Store a message, its content and one job per recipient, atomically (all keys share the shard's hash tag).
  KEYS[1] message hash   P:{sN}:m:<id>
  KEYS[2] content hash   P:{sN}:c:<id>
  KEYS[3] peer schedule  P:{sN}:peers   (zset peer -> when it next has a visible due job)
  KEYS[4] expiry index   P:{sN}:exp     (zset message id -> expiresAt)
  ARGV[1] shard key prefix (P:{sN}:)   ARGV[2] message id   ARGV[3] message JSON   ARGV[4] expiresAt
  ARGV[5] due (ms)   ARGV[6] max attempts   ARGV[7] safety TTL (ms)   ARGV[8] queued event JSON
  ARGV[9] recipient count n   ARGV[10 .. 9+n] peer of each recipient   then the content parts, in order
  Returns 1 when stored, 0 when a message with this id already exists (an idempotent re-submission).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local p, id, due = ARGV[1], ARGV[2], tonumber(ARGV[5])
local n = tonumber(ARGV[9])
local ttl = ARGV[7]
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'n', n, 'pending', n, 'exp', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
local parts = #ARGV - 9 - n
if parts > 0 then
  for i = 1, parts do redis.call('HSET', KEYS[2], i - 1, ARGV[9 + n + i]) end
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('ZADD', KEYS[4], ARGV[4], id)
for i = 0, n - 1 do
  local peer = ARGV[10 + i]
  local job = id .. '/' .. i
  redis.call('HSET', p .. 'j:' .. job, 'peer', peer, 'attempt', 0, 'max', ARGV[6], 'state', 'queued', 'lease', '', 'until', 0)
  redis.call('PEXPIRE', p .. 'j:' .. job, ttl)
  redis.call('RPUSH', p .. 'h:' .. job, ARGV[8])
  redis.call('PEXPIRE', p .. 'h:' .. job, ttl)
  redis.call('ZADD', p .. 'r:' .. peer, due_score(p, due), job)
  -- The peer becomes visible at this job's due time, unless it is hidden (throttled) longer or already sooner.
  local hide = tonumber(redis.call('HGET', p .. 'hide', peer) or '0')
  local at = math.max(due, hide)
  local cur = redis.call('ZSCORE', KEYS[3], peer)
  if not cur or tonumber(cur) > at then redis.call('ZADD', KEYS[3], at, peer) end
end
return 1
