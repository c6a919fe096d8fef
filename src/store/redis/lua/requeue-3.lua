--[[
  Requeue dead letters (admin API): one job's, or every one of a peer's. A requeued job is queued again with
  fresh attempts, due now, its message pending again (the expiry index, the TTLs of message and content
  back to the message's lifetime), and its dead-letter entry goes. A job whose message expired keeps its
  entry ('expired': the operator discards it); an entry whose message is no longer stored, or whose
  recipient is no longer failed, is dropped ('gone').
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] expiry index P:{sN}:exp   KEYS[3] dead letters P:{sN}:dead
  ARGV[1] shard key prefix P   ARGV[2] now   ARGV[3] 'job' or 'peer'   ARGV[4] the job id or the peer
  ARGV[5] ms the message and content are kept past the message's expiry (retention + safety margin, as
  enqueue sets them)   ARGV[6] history detail
  Returns for 'job': 'requeued' | 'expired' | 'gone' | 'unknown' (no such entry);
  for 'peer': { requeued, expired, gone }.
]]
local p, nowS, mode, target, keep, detail = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local now = tonumber(nowS)
local schedule, expindex, dead = KEYS[1], KEYS[2], KEYS[3]

local function requeue(job)
  local id, i = split_job(job)
  if not id then return 'gone' end
  local mk, f = p .. 'm:' .. id, fields_of(i)
  local j = redis.call('HMGET', mk, f.s, f.p, f.h, 'json', 'n')
  if j[1] ~= 'failed' or not j[4] then return 'gone' end
  local exp = tonumber(cjson.decode(j[4]).expiresAt) or 0
  if exp <= now then return 'expired' end
  local peer = j[2]
  redis.call('HSET', mk, f.s, 'queued', f.a, '0', f.l, '', f.h, history(j[3], nowS, 'queued', '0', detail))
  -- A message of one recipient keeps no pending count (see finish in common.lua).
  if j[5] ~= '1' then redis.call('HINCRBY', mk, 'pending', '1') end
  local ttl = int(exp - now + keep)
  redis.call('PEXPIRE', mk, ttl)
  redis.call('PEXPIRE', p .. 'c:' .. id, ttl)
  redis.call('ZADD', expindex, int(exp), id)
  redis.call('ZADD', p .. 'r:' .. peer, due_score(now, redis.call('INCR', p .. 'seq')), job)
  reschedule(p, schedule, peer)
  return 'requeued'
end

local entries = redis.call('LRANGE', dead, '0', '-1')
if mode == 'job' then
  for _, entry in ipairs(entries) do
    local d = cjson.decode(entry)
    if d.job == target then
      local r = requeue(d.job)
      if r ~= 'expired' then redis.call('LREM', dead, '1', entry) end
      return r
    end
  end
  return 'unknown'
end

-- Every entry of the peer: the list is rebuilt once without the entries that go (one LREM each would scan
-- the list each time).
local counts, kept, removed = { requeued = 0, expired = 0, gone = 0 }, {}, 0
for _, entry in ipairs(entries) do
  local d = cjson.decode(entry)
  local r = d.peer == target and requeue(d.job) or 'other'
  if r == 'requeued' or r == 'gone' then
    removed = removed + 1
  else
    kept[#kept + 1] = entry
  end
  if counts[r] then counts[r] = counts[r] + 1 end
end
if removed > 0 then
  redis.call('DEL', dead)
  for from = 1, #kept, 4000 do redis.call('RPUSH', dead, unpack(kept, from, math.min(from + 3999, #kept))) end
end
return { counts.requeued, counts.expired, counts.gone }
