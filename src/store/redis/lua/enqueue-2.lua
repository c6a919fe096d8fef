--[[
  Store a batch of messages of one shard, each with one job per recipient: the enqueues one client made in
  the same turn (group commit). Each message is atomic on its own (it is checked before anything of it is
  written) and independent of the others: one refused does not refuse the rest. The whole batch is one
  script run, so it is also atomic as a whole.
  A message's content was written just before by the caller (SET of P:{sN}:c:<id> with a short TTL, or the
  last slice of a stage, on the same connection, so it arrives first): the script checks it is there, so
  that no message is accepted without its content, and gives it the message's TTL. Content does not pass
  through the script: a 10 KB argument alone costs Lua ~12 µs.
  Work common to the batch is done once: one INCRBY of the sequence, one ZADD into the expiry index, one
  ZADD into each touched peer's ready set, and one HMGET of hide times and one ZADD into the schedule for
  all touched peers.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] expiry index P:{sN}:exp
  ARGV[1] shard key prefix P   ARGV[2] now
  then per message: id, JSON, "expiresAt due ttl report content size", recipient count n, n peers
    report: 1 when a delivery or read report was asked, else 0
    content: 0 none, 1 written by the caller's SET, 2 streamed into the key (Queue.stage); size: for 1 and
    2, the frame's size in bytes (a slice write that failed leaves the key short, and the message is refused;
    for 1, the NX SET finds the key taken when another copy of the same request is still streaming into it
    under the same id (IdempotencyStore): its half is not this message's content)
  Returns one result per message, in order: 1 stored, 0 a message with this id already exists (an
  idempotent re-submission), or 'missing' / 'incomplete' (its content; the message is not stored).
]]
local p, now = ARGV[1], ARGV[2]
local out, no = {}, 0
local ns, sid, sexp, sdue, sfirst, sn = 0, {}, {}, {}, {}, {} -- the messages stored: count, id, expiry, due, first peer argument, recipients
local jobs = 0
-- Strings built once: a Lua number in a concatenation or a redis.call argument costs a sprintf each time.
local queued = history(nil, now, 'queued', '0')
local index = { [0] = '0' } -- recipient indexes as strings (made once each; '0' for the one-recipient HSET below)
local a = 3
while a <= #ARGV do
  local id, json = ARGV[a], ARGV[a + 1]
  local exp, due, ttl, dr, how, size = string.match(ARGV[a + 2], '^(%d+) (%d+) (%d+) ([01]) ([012]) (%d+)$')
  local nS = ARGV[a + 3]
  local n = nS == '1' and 1 or tonumber(nS) -- most messages have one recipient: no tonumber (~1.2k instructions)
  if not n or not exp then return redis.error_reply('enqueue: malformed arguments at ' .. a) end
  local first = a + 4
  a = first + n
  local mk, ck = p .. 'm:' .. id, p .. 'c:' .. id
  local result = 1
  if redis.call('EXISTS', mk) == 1 then
    result = 0
  elseif how == '1' then
    -- The content came with a short TTL (content whose script is refused, e.g. at maxmemory, goes soon): it
    -- must be there whole, then PEXPIRE gives it the message's TTL.
    local len = redis.call('STRLEN', ck)
    if len == 0 then
      result = 'missing'
    elseif len ~= tonumber(size) then
      result = 'incomplete'
    else
      redis.call('PEXPIRE', ck, ttl)
    end
  elseif how == '2' then
    if redis.call('STRLEN', ck) ~= tonumber(size) then result = 'incomplete' else redis.call('PEXPIRE', ck, ttl) end
  end
  if result == 1 then
    if n == 1 then
      -- One recipient (most messages): the fields as they are, without a table to build and unpack (~12k
      -- instructions less). The same fields as the general case below but the pending count, which a
      -- message of one recipient does without (see finish): a field added goes in both.
      redis.call('HSET', mk, 'json', json, 'n', nS, 'dr', dr, 'p0', ARGV[first], 's0', 'queued', 'a0', '0', 'h0', queued)
    else
      -- Any other number of recipients: the fields of the one-recipient HSET above, for each index, and the
      -- count of recipients pending.
      local fields = { 'json', json, 'n', nS, 'pending', nS, 'dr', dr }
      for i = 0, n - 1 do
        local si = index[i]
        if not si then
          si = tostring(i)
          index[i] = si
        end
        local k = #fields
        fields[k + 1], fields[k + 2] = 'p' .. si, ARGV[first + i]
        fields[k + 3], fields[k + 4] = 's' .. si, 'queued'
        fields[k + 5], fields[k + 6] = 'a' .. si, '0'
        fields[k + 7], fields[k + 8] = 'h' .. si, queued
      end
      -- In chunks: unpack() of a very long table would overflow Lua's C stack.
      for from = 1, #fields, 4000 do redis.call('HSET', mk, unpack(fields, from, math.min(from + 3999, #fields))) end
    end
    redis.call('PEXPIRE', mk, ttl)
    -- Kept for the batch's ZADDs below in flat arrays (a table per message costs more).
    ns = ns + 1
    sid[ns], sexp[ns], sdue[ns], sfirst[ns], sn[ns] = id, exp, tonumber(due), first, n
    jobs = jobs + n
  end
  no = no + 1
  out[no] = result
end
if ns == 0 then return out end

-- The jobs, in argument order (so that jobs due in the same millisecond keep their enqueue order), grouped
-- into one ZADD per peer, and each touched peer's earliest due time.
local seq = redis.call('INCRBY', p .. 'seq', int(jobs)) - jobs
local expiry, ready, earliest = {}, {}, {}
for k = 1, ns do
  local id, due = sid[k], sdue[k]
  expiry[2 * k - 1], expiry[2 * k] = sexp[k], id
  for i = 0, sn[k] - 1 do
    local peer = ARGV[sfirst[k] + i]
    local r = ready[peer]
    if not r then
      r = {}
      ready[peer] = r
    end
    local nr = #r
    r[nr + 1], r[nr + 2] = due_score(due, seq), id .. '/' .. index[i]
    seq = seq + 1
    if not earliest[peer] or due < earliest[peer] then earliest[peer] = due end
  end
end
for from = 1, #expiry, 4000 do redis.call('ZADD', KEYS[2], unpack(expiry, from, math.min(from + 3999, #expiry))) end
local touched = {}
for peer, r in pairs(ready) do
  for from = 1, #r, 4000 do redis.call('ZADD', p .. 'r:' .. peer, unpack(r, from, math.min(from + 3999, #r))) end
  touched[#touched + 1] = peer
end
-- Each touched peer becomes visible at its earliest due time, unless it is hidden (throttled) longer or
-- already sooner (ZADD LT: only ever moves a peer earlier, and adds one that is not scheduled). One HMGET of
-- the hide times and one ZADD for all of them (a batch of 16 over 8 peers: 2 calls instead of 16).
for from = 1, #touched, 1000 do
  local last = math.min(from + 999, #touched)
  local hides = redis.call('HMGET', p .. 'hide', unpack(touched, from, last))
  local schedule = { 'LT' }
  for k = from, last do
    local peer = touched[k]
    schedule[#schedule + 1] = ms_score(math.max(earliest[peer], tonumber(hides[k - from + 1] or '0')))
    schedule[#schedule + 1] = peer
  end
  redis.call('ZADD', KEYS[1], unpack(schedule))
end
return out
