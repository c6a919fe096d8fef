--[[
  Shared by every queue script (prepended when the scripts are loaded). Key names are built from the
  shard prefix P:{sN}: that the caller passes: every key a script touches carries the same hash tag, so
  each script runs in one cluster slot.
]]
local TERMINAL = { delivered = true, rejected = true, failed = true, expired = true }

-- A job's score in a peer's ready set: its due time, plus a fraction from the shard's sequence so that jobs
-- due in the same millisecond keep their enqueue order (4096 slots a millisecond fit a double's precision).
local function due_score(p, due)
  return due + (redis.call('INCR', p .. 'seq') % 4096) / 4096
end

local function message_id(job) return string.match(job, '^(.*)/%d+$') end

local function event(p, job, now, state, attempt, detail)
  local e = { at = now, state = state, attempt = attempt }
  if detail and detail ~= '' then e.detail = detail end
  redis.call('RPUSH', p .. 'h:' .. job, cjson.encode(e))
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

-- A job reached a terminal state: record it, publish it for reports, count it off its message; when no
-- recipient is pending any more, the message, content and histories live on for `retention` ms only.
local function finish(p, expindex, job, now, state, attempt, detail, retention, evmax)
  redis.call('HSET', p .. 'j:' .. job, 'state', state, 'lease', '', 'until', 0)
  event(p, job, now, state, attempt, detail)
  redis.call('XADD', p .. 'ev', 'MAXLEN', '~', evmax, '*', 'job', job, 'state', state, 'attempt', attempt, 'detail', detail or '')
  local id = message_id(job)
  local mk = p .. 'm:' .. id
  if redis.call('HINCRBY', mk, 'pending', -1) <= 0 then
    local n = tonumber(redis.call('HGET', mk, 'n') or '0')
    redis.call('PEXPIRE', mk, retention)
    redis.call('PEXPIRE', p .. 'c:' .. id, retention)
    for i = 0, n - 1 do
      redis.call('PEXPIRE', p .. 'j:' .. id .. '/' .. i, retention)
      redis.call('PEXPIRE', p .. 'h:' .. id .. '/' .. i, retention)
    end
    redis.call('ZREM', expindex, id)
  end
end
