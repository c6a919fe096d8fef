--[[
  Lease due jobs of one shard. Before handing out: leases that ran out are taken back (their worker died),
  and pending jobs of expired messages end `expired`.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased (zset job -> lease end)
  KEYS[3] expiry index  P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] now   ARGV[3] max   ARGV[4] per peer   ARGV[5] lease ms
  ARGV[6] retention ms   ARGV[7] events stream max length   ARGV[8] shard name (makes lease tokens unique)
  Returns a flat array: job, peer, attempt, max attempts, lease token, lease end, message JSON (7 per job).
]]
local p, now, max, perPeer, leaseMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local retention, evmax = ARGV[6], ARGV[7]

-- 1. Leases that ran out: the job is due again now, with a new lease at the next take.
local lost = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - 1, 'LIMIT', 0, 100)
for _, job in ipairs(lost) do
  redis.call('ZREM', KEYS[2], job)
  local jk = p .. 'j:' .. job
  local peer = redis.call('HGET', jk, 'peer')
  if peer then
    redis.call('HSET', jk, 'lease', '', 'until', 0, 'state', 'queued')
    redis.call('ZADD', p .. 'r:' .. peer, due_score(p, now), job)
    reschedule(p, KEYS[1], peer)
  end
end

-- 2. Expired messages: every job not leased now ends `expired` (a leased one ends so at its retry).
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 50)
for _, id in ipairs(expired) do
  local n = tonumber(redis.call('HGET', p .. 'm:' .. id, 'n') or '0')
  for i = 0, n - 1 do
    local job = id .. '/' .. i
    local jk = p .. 'j:' .. job
    local st = redis.call('HMGET', jk, 'state', 'peer', 'attempt', 'lease')
    if st[1] and not TERMINAL[st[1]] and st[4] == '' then
      redis.call('ZREM', p .. 'r:' .. st[2], job)
      reschedule(p, KEYS[1], st[2])
      finish(p, KEYS[3], job, now, 'expired', tonumber(st[3]), 'expired before delivery', retention, evmax)
    end
  end
  if n == 0 then redis.call('ZREM', KEYS[3], id) end
end

-- 3. Hand out due jobs. Each visible peer (the one waiting longest first) may give up to perPeer; when
-- there is more than max, shares are max-min fair: one job a peer per round, as long as a peer has some.
-- Scores carry a sub-millisecond tie-break (due_score), so "due" means a score below now + 1.
local due = '(' .. (now + 1)
local peers = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', due, 'LIMIT', 0, 64)
local avail, share = {}, {}
for i, peer in ipairs(peers) do
  avail[i] = math.min(perPeer, redis.call('ZCOUNT', p .. 'r:' .. peer, '-inf', due))
  share[i] = 0
  -- A visible peer's schedule score is max(first due, hide) <= now: its hide time has passed, drop it.
  redis.call('HDEL', p .. 'hide', peer)
end
local left, more = max, true
while left > 0 and more do
  more = false
  for i = 1, #peers do
    if left > 0 and share[i] < avail[i] then
      share[i] = share[i] + 1
      left = left - 1
      more = true
    end
  end
end

local out = {}
for i, peer in ipairs(peers) do
  local rk = p .. 'r:' .. peer
  local jobs = share[i] > 0 and redis.call('ZRANGEBYSCORE', rk, '-inf', due, 'LIMIT', 0, share[i]) or {}
  for _, job in ipairs(jobs) do
    redis.call('ZREM', rk, job)
    local jk = p .. 'j:' .. job
    local jm = redis.call('HMGET', jk, 'attempt', 'max')
    local json = redis.call('HGET', p .. 'm:' .. message_id(job), 'json')
    if jm[1] and json then
      local attempt = tonumber(jm[1]) + 1
      local lease = ARGV[8] .. '.' .. redis.call('INCR', p .. 'seq')
      local untilMs = now + leaseMs
      redis.call('HSET', jk, 'attempt', attempt, 'lease', lease, 'until', untilMs, 'state', 'delivering')
      redis.call('ZADD', KEYS[2], untilMs, job)
      event(p, job, now, 'delivering', attempt)
      out[#out + 1] = job
      out[#out + 1] = peer
      out[#out + 1] = attempt
      out[#out + 1] = jm[2]
      out[#out + 1] = lease
      out[#out + 1] = untilMs
      out[#out + 1] = json
    end
  end
  reschedule(p, KEYS[1], peer)
end
return out
