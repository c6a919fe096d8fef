--[[
  Shared by every queue script (prepended when the scripts are loaded). Key names are built from the
  shard prefix P:{sN}: that the caller passes: every key a script touches carries the same hash tag, so
  each script runs in one cluster slot.
  A message is one hash P:{sN}:m:<id> with the message JSON and, per recipient i, fields p<i> (peer),
  s<i> (state), a<i> (attempt), l<i> (lease token), u<i> (lease end), e<i> (last error): one key and one
  TTL per message, however many recipients. History is one list per message, entries
  "i|at|state|attempt|detail".
]]
local TERMINAL = { delivered = true, rejected = true, failed = true, expired = true }

-- A job's score in a peer's ready set: its due time plus a fraction from a sequence number, so that jobs
-- due in the same millisecond keep their order (4096 slots a millisecond fit a double's precision).
local function due_score(due, seq)
  return due + (seq % 4096) / 4096
end

local function split_job(job)
  local id, i = string.match(job, '^(.*)/(%d+)$')
  return id, i
end

local function event(p, id, i, now, state, attempt, detail)
  redis.call('RPUSH', p .. 'h:' .. id, i .. '|' .. now .. '|' .. state .. '|' .. attempt .. '|' .. (detail or ''))
end

-- Schedule the peer at its earliest due job (or drop it when it has none), never before its hide time.
local function reschedule(p, schedule, peer)
  local first = redis.call('ZRANGE', p .. 'r:' .. peer, 0, 0, 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', schedule, peer)
  else
    local hide = tonumber(redis.call('HGET', p .. 'hide', peer) or '0')
    redis.call('ZADD', schedule, math.max(tonumber(first[2]), hide), peer)
  end
end

-- A job reached a terminal state: record it, publish it for delivery reports when one was asked for, count
-- it off its message; when no recipient is pending any more, the message, content and history live on for
-- `retention` ms only.
local function finish(p, expindex, id, i, now, state, attempt, detail, retention, evmax)
  local mk = p .. 'm:' .. id
  redis.call('HSET', mk, 's' .. i, state, 'l' .. i, '', 'u' .. i, 0)
  event(p, id, i, now, state, attempt, detail)
  if redis.call('HGET', mk, 'dr') == '1' then
    redis.call('XADD', p .. 'ev', 'MAXLEN', '~', evmax, '*', 'job', id .. '/' .. i, 'state', state, 'attempt', attempt, 'detail', detail or '')
  end
  if redis.call('HINCRBY', mk, 'pending', -1) <= 0 then
    redis.call('PEXPIRE', mk, retention)
    redis.call('PEXPIRE', p .. 'c:' .. id, retention)
    redis.call('PEXPIRE', p .. 'h:' .. id, retention)
    redis.call('ZREM', expindex, id)
  end
end
