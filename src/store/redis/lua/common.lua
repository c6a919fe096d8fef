--[[
  Shared by every queue script (prepended when the scripts are loaded). Key names are built from the
  shard prefix P:{sN}: that the caller passes: every key a script touches carries the same hash tag, so
  each script runs in one cluster slot.
  A message is one hash P:{sN}:m:<id> with the message JSON, its recipient count n, the count of recipients
  still pending (field 'pending', only when n is not 1: the one recipient of a message is pending until
  its job ends) and, per recipient i, fields p<i> (peer),
  s<i> (state), a<i> (attempt), l<i> (lease token; absent or empty when not leased), e<i> (last error),
  w<i> (notifications: times settled 'wait'; absent: none) and h<i> (its history: lines
  "at|state|attempt|detail\n", oldest first): one key and one TTL per message, however many recipients.
  Its content is one string P:{sN}:c:<id> that the client writes (content-frame.ts).
  Every redis.call costs about a microsecond: the scripts read a job's fields with one HMGET and write them
  with one HSET.
]]
local TERMINAL = { delivered = true, rejected = true, failed = true, expired = true, cancelled = true }

-- Scores of the peers' ready sets and of the peer schedule are integers: a due time in ms times 1024,
-- plus the low 10 bits of a sequence number in a ready set, so that jobs due in the same millisecond keep
-- their order (exact in a double until the year 2248). Passed as strings made by string.format('%d'):
-- Redis 7.0 formats a Lua number argument, and replies a fractional score, with %.17g, glibc's slowest
-- path (perf: ~4 % of redis-server's time when the scores were fractions of a millisecond).
local function due_score(due, seq)
  return string.format('%d', due * 1024 + seq % 1024)
end

-- A time in ms as a score of those sets (the first of its millisecond).
local function ms_score(ms)
  return string.format('%d', ms * 1024)
end

-- A count or index as a redis.call argument (see above: a Lua number would be formatted with %.17g).
local function int(n)
  return string.format('%d', n)
end

local function split_job(job)
  local id, i = string.match(job, '^(.*)/(%d+)$')
  return id, i
end

-- A recipient's field names in its message hash ('s0', 'p0', ...): recipient 0's (most messages have one)
-- are constants, the others' concatenated (a concatenation costs Lua ~0.4k instructions).
local FIELDS_0 = { a = 'a0', e = 'e0', h = 'h0', l = 'l0', p = 'p0', s = 's0', w = 'w0' }
local function fields_of(i)
  if i == '0' then return FIELDS_0 end
  return { a = 'a' .. i, e = 'e' .. i, h = 'h' .. i, l = 'l' .. i, p = 'p' .. i, s = 's' .. i, w = 'w' .. i }
end

-- What the expiry sweep records on a job it ends (state and notification count as read from the hash): a
-- notified recipient did not fetch the message. The memory store writes the same (expiredDetail).
local function expired_detail(state, notifications)
  if state == 'notified' then return 'expired before retrieval (notifications: ' .. (notifications or '0') .. ')' end
  return 'expired before delivery'
end

-- A job's history `h` (nil: none yet) with one line appended, in one concatenation (the client keeps
-- newlines out of details). Callers pass `now` as the string they got (concatenating a 13-digit Lua number
-- formats it with sprintf).
local function history(h, now, state, attempt, detail)
  return (h or '') .. now .. '|' .. state .. '|' .. attempt .. '|' .. (detail or '') .. '\n'
end

-- Schedule the peer at its earliest due job (or drop it when it has none), never before its hide time.
-- `hide` is the peer's hide time when the caller knows it (nil: look it up).
local function reschedule(p, schedule, peer, hide)
  local first = redis.call('ZRANGE', p .. 'r:' .. peer, '0', '0', 'WITHSCORES')
  if #first == 0 then
    redis.call('ZREM', schedule, peer)
  else
    hide = (hide or tonumber(redis.call('HGET', p .. 'hide', peer) or '0')) * 1024
    redis.call('ZADD', schedule, tonumber(first[2]) >= hide and first[2] or int(hide), peer)
  end
end

-- A job reached a terminal state: record it, publish it for delivery reports when one was asked for, count
-- it off its message; when no recipient is pending any more, the message and its content live on for
-- `retention` ms only. `h`, `dr`, `pending` are the job's history, the message's report flag and its
-- pending count as read by the caller (fields 'h'..i, 'dr', 'pending'). A message without a pending count
-- has one recipient, this one: no count to keep (most messages; a redis.call less, ~3k instructions).
-- HINCRBY counts off: its reply is a number, where reading the count and writing it back would parse and
-- format it (tonumber and string.format: ~2.6k instructions). A message done leaves the expiry index at
-- once, or, when the caller passes a list `done`, goes in it for the caller's one ZREM of a batch.
local function finish(p, expindex, id, i, now, state, attempt, detail, h, dr, pending, retention, evmax, done)
  local mk, f = p .. 'm:' .. id, fields_of(i)
  redis.call('HSET', mk, f.s, state, f.l, '', f.h, history(h, now, state, attempt, detail))
  local left = pending and redis.call('HINCRBY', mk, 'pending', '-1') or 0
  if dr == '1' then
    redis.call('XADD', p .. 'ev', 'MAXLEN', '~', evmax, '*', 'job', id .. '/' .. i, 'state', state, 'attempt', attempt, 'detail', detail or '')
  end
  if left <= 0 then
    redis.call('PEXPIRE', mk, retention)
    redis.call('PEXPIRE', p .. 'c:' .. id, retention)
    if done then done[#done + 1] = id else redis.call('ZREM', expindex, id) end
  end
end
