--[[
  Lease due jobs of one shard. Before handing out: leases that ran out are taken back (their worker died),
  and pending jobs of expired messages end `expired`.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased (zset job -> lease end)
  KEYS[3] expiry index  P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] now   ARGV[3] max   ARGV[4] per peer   ARGV[5] lease ms
  ARGV[6] retention ms   ARGV[7] events stream max length   ARGV[8] shard name (makes lease tokens unique)
  Returns a flat array: the lease tokens' prefix and the lease end (once: the same for every job of a take;
  a job's lease token is the prefix followed by the job), then job, peer, attempt, message JSON (4 per job;
  the JSON is '' when an earlier job of this reply has the same message). No due job: an empty array.
  The attempt is "<attempt>:<notifications>" for a job settled 'wait' before (w<i>; most jobs never are).
  (Fields a take's jobs share go once: each field of a reply costs Redis and the client alike.)
]]
local p, nowS, max, perPeer, leaseMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now, retention, evmax = tonumber(nowS), ARGV[6], ARGV[7]

-- 1. Leases that ran out: the job is due again now, with a new lease at the next take. Only a job still
-- being delivered: one that a settle ended, or gave back, and whose entry was left here (a settle script
-- that failed part way, before its one ZREM of the leases) is only taken off the leases.
-- (Lease ends are whole ms: '(' .. now is "at most now - 1". Numbers as strings: see int() in common.lua.)
local lost = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. nowS, 'LIMIT', '0', '100')
for _, job in ipairs(lost) do
  redis.call('ZREM', KEYS[2], job)
  local id, i = split_job(job)
  local mk, f = p .. 'm:' .. id, fields_of(i)
  local j = redis.call('HMGET', mk, f.p, f.a, f.h, f.s)
  if j[1] and j[4] == 'delivering' then
    redis.call('HSET', mk, f.l, '', f.s, 'queued', f.h, history(j[3], nowS, 'queued', j[2], 'lease ran out'))
    redis.call('ZADD', p .. 'r:' .. j[1], due_score(now, redis.call('INCR', p .. 'seq')), job)
    reschedule(p, KEYS[1], j[1])
  end
end

-- 2. Expired messages: every job not leased now ends `expired` (a leased one ends so at its retry). A
-- message with no job left open (none, or all terminal: a settle that failed part way may leave one here)
-- only leaves the index.
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowS, 'LIMIT', '0', '50')
for _, id in ipairs(expired) do
  local mk = p .. 'm:' .. id
  local n = tonumber(redis.call('HGET', mk, 'n') or '0')
  -- finish() puts a message it completes in this list instead of taking it off the index: the ZREM below
  -- does that once for every message with no job left open.
  local open, completed = false, {}
  for i = 0, n - 1 do
    local st = redis.call('HMGET', mk, 's' .. i, 'p' .. i, 'a' .. i, 'l' .. i, 'h' .. i, 'dr', 'pending', 'w' .. i)
    if st[1] and not TERMINAL[st[1]] then
      if (st[4] or '') == '' then
        redis.call('ZREM', p .. 'r:' .. st[2], id .. '/' .. i)
        reschedule(p, KEYS[1], st[2])
        finish(p, KEYS[3], id, i, nowS, 'expired', tonumber(st[3]), expired_detail(st[1], st[8]), st[5], st[6], st[7], retention, evmax, completed)
      else
        open = true
      end
    end
  end
  if not open then redis.call('ZREM', KEYS[3], id) end
end

-- 3. Hand out due jobs. Each visible peer (the one waiting longest first) may give up to perPeer; when
-- there is more than max, shares are max-min fair: one job a peer per round, as long as a peer has some.
-- Scores are ms * 1024 with a tie-break (due_score), so "due" means a score below that of now + 1.
local dueBelow = '(' .. ms_score(now + 1)
local peers = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', dueBelow, 'LIMIT', '0', '64')
if #peers == 0 then return {} end
-- A visible peer's schedule score is max(first due, hide) <= now: its hide time has passed, drop it.
redis.call('HDEL', p .. 'hide', unpack(peers))
local heads, avail, share = {}, {}, {}
for k, peer in ipairs(peers) do
  -- The peer's first due jobs, up to perPeer, without their scores: the one score the reschedule needs is
  -- read after the pop.
  local head = redis.call('ZRANGEBYSCORE', p .. 'r:' .. peer, '-inf', dueBelow, 'LIMIT', '0', ARGV[4])
  heads[k], avail[k], share[k] = head, #head, 0
end
local left, more, total = max, true, 0
while left > 0 and more do
  more = false
  for k = 1, #peers do
    if left > 0 and share[k] < avail[k] then
      share[k] = share[k] + 1
      left = left - 1
      total = total + 1
      more = true
    end
  end
end

local untilMs = now + leaseMs
local untilS = string.format('%d', untilMs) -- once, not formatted again for each ZADD
-- Lease tokens: unique to this take (one number from the shard's sequence) and, within it, to the job. Built
-- from strings only: a Lua number turned into a string costs ~2k instructions (sprintf), a concatenation
-- of strings ~0.4k.
local tokens = total > 0 and (ARGV[8] .. '.' .. int(redis.call('INCR', p .. 'seq')) .. '.') or ''
-- The next attempt of each attempt as strings, for the same reason (tonumber then tostring: ~3.5k a job).
local NEXT_ATTEMPT = { ['0'] = '1', ['1'] = '2', ['2'] = '3', ['3'] = '4', ['4'] = '5', ['5'] = '6', ['6'] = '7', ['7'] = '8', ['8'] = '9', ['9'] = '10' }
local seen = {}
local out, leases = { tokens, untilS }, {}
local no, nl = 2, 0 -- their lengths (counted: # searches the table each time)
-- Each visited peer is rescheduled at its first job left (its hide time has passed: see HDEL above), or
-- dropped: one ZADD and one ZREM of the schedule for all of them, after the loop.
local schedule, drop = {}, {}
for k, peer in ipairs(peers) do
  local head, s = heads[k], share[k]
  if s > 0 then redis.call('ZREMRANGEBYRANK', p .. 'r:' .. peer, '0', int(s - 1)) end
  local first = redis.call('ZRANGE', p .. 'r:' .. peer, '0', '0', 'WITHSCORES')
  if #first > 0 then
    schedule[#schedule + 1] = first[2]
    schedule[#schedule + 1] = peer
  else
    drop[#drop + 1] = peer
  end
  for x = 1, s do
    local job = head[x]
    local id, i = split_job(job)
    local mk, f = p .. 'm:' .. id, fields_of(i)
    local m = redis.call('HMGET', mk, f.a, seen[id] and 'n' or 'json', f.h, f.w)
    if m[1] then
      local attempt = NEXT_ATTEMPT[m[1]] or int(tonumber(m[1]) + 1)
      local lease = tokens .. job
      redis.call('HSET', mk, f.a, attempt, f.l, lease, f.s, 'delivering', f.h, history(m[3], nowS, 'delivering', attempt))
      leases[nl + 1], leases[nl + 2] = untilS, job
      nl = nl + 2
      out[no + 1], out[no + 2], out[no + 3], out[no + 4] = job, peer, m[4] and (attempt .. ':' .. m[4]) or attempt, seen[id] and '' or m[2]
      no = no + 4
      seen[id] = true
    end
  end
end
if #schedule > 0 then redis.call('ZADD', KEYS[1], unpack(schedule)) end
if #drop > 0 then redis.call('ZREM', KEYS[1], unpack(drop)) end
if nl == 0 then return {} end
redis.call('ZADD', KEYS[2], unpack(leases))
return out
