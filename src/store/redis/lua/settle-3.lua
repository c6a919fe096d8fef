--[[
  Settle or extend a leased job; every operation first checks the lease token (fencing: a worker whose
  lease ran out and was handed to another cannot settle the job).
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased   KEYS[3] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] now   ARGV[3] op   ARGV[4] job   ARGV[5] lease token
  ARGV[6] retention ms   ARGV[7] events stream max length   ARGV[8..] per op:
    ack    state, detail                    -> 'ok'
    retry  error, delay ms, dead-letter cap -> 'retrying' | 'failed' | 'expired'
    defer  until                            -> 'ok'
    extend lease end                        -> 'ok'
  Returns -1 when the lease is not held.
]]
local p, now, op, job, lease = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local retention, evmax = ARGV[6], ARGV[7]
local id, i = split_job(job)
local mk = p .. 'm:' .. id
local j = redis.call('HMGET', mk, 'l' .. i, 's' .. i, 'p' .. i, 'a' .. i, 'max', 'exp')
if not j[1] or j[1] ~= lease or j[2] ~= 'delivering' then return -1 end
local peer, attempt, maxAttempts, exp = j[3], tonumber(j[4]), tonumber(j[5]), tonumber(j[6])

if op == 'extend' then
  redis.call('HSET', mk, 'u' .. i, ARGV[8])
  redis.call('ZADD', KEYS[2], ARGV[8], job)
  return 'ok'
end

redis.call('ZREM', KEYS[2], job)

if op == 'ack' then
  finish(p, KEYS[3], id, i, now, ARGV[8], attempt, ARGV[9], retention, evmax)
  return 'ok'
end

if op == 'retry' then
  local err, delay = ARGV[8], tonumber(ARGV[9])
  redis.call('HSET', mk, 'e' .. i, err)
  if now + delay >= exp then
    finish(p, KEYS[3], id, i, now, 'expired', attempt, err, retention, evmax)
    return 'expired'
  end
  if attempt >= maxAttempts then
    finish(p, KEYS[3], id, i, now, 'failed', attempt, err, retention, evmax)
    redis.call('LPUSH', p .. 'dead', cjson.encode({ job = job, peer = peer, attempts = attempt, error = err, at = now }))
    redis.call('LTRIM', p .. 'dead', 0, tonumber(ARGV[10]) - 1)
    return 'failed'
  end
  redis.call('HSET', mk, 's' .. i, 'retrying', 'l' .. i, '', 'u' .. i, 0)
  event(p, id, i, now, 'retrying', attempt, err)
  redis.call('ZADD', p .. 'r:' .. peer, due_score(now + delay, redis.call('INCR', p .. 'seq')), job)
  reschedule(p, KEYS[1], peer)
  return 'retrying'
end

if op == 'defer' then
  -- Throttled: give the attempt back, and hide the whole peer until it can be served again.
  local untilMs = tonumber(ARGV[8])
  redis.call('HSET', mk, 's' .. i, 'deferred', 'l' .. i, '', 'u' .. i, 0, 'a' .. i, attempt - 1)
  event(p, id, i, now, 'deferred', attempt - 1)
  redis.call('ZADD', p .. 'r:' .. peer, due_score(untilMs, redis.call('INCR', p .. 'seq')), job)
  local hide = tonumber(redis.call('HGET', p .. 'hide', peer) or '0')
  if untilMs > hide then redis.call('HSET', p .. 'hide', peer, untilMs) end
  reschedule(p, KEYS[1], peer)
  return 'ok'
end

return redis.error_reply('unknown op ' .. op)
