--[[
  Settle or extend leased jobs of one shard: a batch of operations (the client gathers those issued in the
  same tick), each checking its lease token first (fencing: a worker whose lease ran out and was handed to
  another cannot settle the job).
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased   KEYS[3] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] now   ARGV[3] retention ms   ARGV[4] events stream max length
  ARGV[5] dead-letter cap   ARGV[6] max attempts (the queue's setting)
  then 5 arguments per operation: op, job, lease token, x, y:
    ack    x state, y detail          -> 'ok'
    retry  x error, y delay ms        -> 'retrying' | 'failed' | 'expired'
    wait   x detail, y delay ms       -> 'notified' | 'expired'
    defer  x until, y detail          -> 'ok'
    postpone x until, y detail        -> 'ok' (a defer of this job only: the peer is not hidden)
    extend x lease end                -> 'ok'
  Returns one result per operation, in order: the above, or -1 when the lease is not held.
]]
-- `now` goes into history lines as the string it came as (see entry), into arithmetic as a number.
local p, nowS, retention, evmax, deadcap, maxAttempts = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local now = tonumber(nowS)
local schedule, leased, expindex = KEYS[1], KEYS[2], KEYS[3]
-- The jobs that leave the leases, removed in one ZREM when the batch is done (one redis.call instead of one
-- a job). Until then they are still there, which no later operation of the batch minds: an operation on
-- a job that an earlier one settled fails the lease check, and an extend before the settle is undone by it.
-- But the first job to leave goes at once: at maxmemory, Redis refuses a script's first write if that
-- command may grow memory (HSET, ZADD), and lets every later one through. A ZREM first keeps settles, which
-- free memory, working on a full Redis (test/store/queue-redis-full.test.ts); an extend first in a batch does
-- the same before its ZADD, or the whole batch would be refused with it.
local unleased, wrote = {}, false
-- The messages done (every recipient terminal), likewise taken off the expiry index in one ZREM at the end.
-- An entry left there by a script that failed part way is dropped by the take's expiry sweep.
local done = {}

-- The batch's first write, a ZREM of the job from the leases (see above); false once it is made.
local function first_write(job)
  if wrote then return false end
  redis.call('ZREM', leased, job)
  wrote = true
  return true
end

-- The ZREMs left for the end of the batch.
local function unindex()
  if #unleased > 0 then redis.call('ZREM', leased, unpack(unleased)) end
  if #done > 0 then redis.call('ZREM', expindex, unpack(done)) end
end

local function settle(op, job, lease, x, y)
  local id, i = split_job(job)
  local mk, f = p .. 'm:' .. id, fields_of(i)
  -- What an ack needs; a retry or defer reads the rest below (each field read costs ~1.4k instructions,
  -- and acks are most of the settles).
  local j = redis.call('HMGET', mk, f.l, f.s, f.a, f.h, 'dr', 'pending')
  if not j[1] or j[1] ~= lease or j[2] ~= 'delivering' then return -1 end
  local h, dr, pending = j[4], j[5], j[6]

  if op == 'extend' then
    first_write(job)
    redis.call('ZADD', leased, x, job)
    return 'ok'
  end

  if not first_write(job) then unleased[#unleased + 1] = job end

  if op == 'ack' then
    finish(p, expindex, id, i, nowS, x, j[3], y, h, dr, pending, retention, evmax, done)
    return 'ok'
  end

  -- The message's expiry is its score in the expiry index (there while any recipient is pending).
  local peer = redis.call('HGET', mk, f.p)
  local attempt, exp = tonumber(j[3]), tonumber(redis.call('ZSCORE', expindex, id) or '0')

  if op == 'retry' then
    local err, delay = x, tonumber(y)
    if now + delay >= exp or attempt >= maxAttempts then
      redis.call('HSET', mk, f.e, err)
      if now + delay >= exp then
        finish(p, expindex, id, i, nowS, 'expired', attempt, err, h, dr, pending, retention, evmax, done)
        return 'expired'
      end
      finish(p, expindex, id, i, nowS, 'failed', attempt, err, h, dr, pending, retention, evmax, done)
      redis.call('LPUSH', p .. 'dead', cjson.encode({ job = job, peer = peer, attempts = attempt, error = err, at = now }))
      redis.call('LTRIM', p .. 'dead', 0, deadcap - 1)
      return 'failed'
    end
    redis.call('HSET', mk, f.s, 'retrying', f.l, '', f.e, err, f.h, history(h, nowS, 'retrying', attempt, err))
    redis.call('ZADD', p .. 'r:' .. peer, due_score(now + delay, redis.call('INCR', p .. 'seq')), job)
    reschedule(p, schedule, peer)
    return 'retrying'
  end

  if op == 'wait' then
    -- The recipient was told (MM1: notification pushed) and fetches the message itself: no failed attempt
    -- (the take's increment is given back, as for defer), one notification more. The job stays open until
    -- its message's expiry, when the take's sweep ends it: due no later than that.
    if now >= exp then
      finish(p, expindex, id, i, nowS, 'expired', attempt, x, h, dr, pending, retention, evmax, done)
      return 'expired'
    end
    local due = now + tonumber(y)
    if due > exp then due = exp end
    redis.call('HINCRBY', mk, f.w, '1')
    redis.call('HSET', mk, f.s, 'notified', f.l, '', f.a, attempt - 1, f.h, history(h, nowS, 'notified', attempt - 1, x))
    redis.call('ZADD', p .. 'r:' .. peer, due_score(due, redis.call('INCR', p .. 'seq')), job)
    reschedule(p, schedule, peer)
    return 'notified'
  end

  if op == 'defer' or op == 'postpone' then
    -- Throttled: give the attempt back, and hide the whole peer until it can be served again. Postponed (a
    -- policy holds this job back: quiet hours, a frequency cap): the same for the job, the peer not hidden.
    -- Past the expiry, the take's expiry sweep ends the job at the expiry, as any job not leased.
    local untilMs = tonumber(x)
    redis.call('HSET', mk, f.s, 'deferred', f.l, '', f.a, attempt - 1, f.h, history(h, nowS, 'deferred', attempt - 1, y))
    redis.call('ZADD', p .. 'r:' .. peer, due_score(untilMs, redis.call('INCR', p .. 'seq')), job)
    if op == 'postpone' then
      reschedule(p, schedule, peer)
      return 'ok'
    end
    local hide = tonumber(redis.call('HGET', p .. 'hide', peer) or '0')
    if untilMs > hide then
      redis.call('HSET', p .. 'hide', peer, x)
      hide = untilMs
    end
    reschedule(p, schedule, peer, hide)
    return 'ok'
  end

  return redis.error_reply('unknown op ' .. op)
end

local out = {}
for a = 7, #ARGV, 5 do
  local r = settle(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4])
  if type(r) == 'table' then -- an error reply: the operations before it stand, their jobs leave the indexes
    unindex()
    return r
  end
  out[#out + 1] = r
end
unindex()
return out
