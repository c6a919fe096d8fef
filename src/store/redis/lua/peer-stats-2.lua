--[[
  One shard's part of Queue.peerStats: per peer with jobs, its waiting jobs, its live leases and its first
  due time. Read only. Cost: O(log n) per scheduled peer (the schedule holds each peer with waiting jobs
  once), plus one HGET per lease (bounded by the deliveries in flight of every instance, capped), never a
  walk over the backlog.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased (zset job -> lease end)
  ARGV[1] shard key prefix   ARGV[2] now (ms)   ARGV[3] most leases to look at
  Returns a flat array, 4 per peer: peer, waiting, leased, first due (ms; -1 when nothing waits).
  A lease that ran out (its worker died; the next take gives the job back) counts as waiting.
]]
local p, now = ARGV[1], tonumber(ARGV[2])
local waiting, leased, first, order = {}, {}, {}, {}
local function seen(peer)
  if not waiting[peer] then
    waiting[peer], leased[peer], first[peer] = 0, 0, -1
    order[#order + 1] = peer
  end
end
for _, peer in ipairs(redis.call('ZRANGE', KEYS[1], '0', '-1')) do
  seen(peer)
  local r = p .. 'r:' .. peer
  waiting[peer] = redis.call('ZCARD', r)
  local head = redis.call('ZRANGE', r, '0', '0', 'WITHSCORES')
  -- Scores are due ms * 1024 plus a tie-break below 1024 (common.lua).
  if #head > 0 then first[peer] = math.floor(tonumber(head[2]) / 1024) end
end
local jobs = redis.call('ZRANGE', KEYS[2], '0', ARGV[3], 'WITHSCORES')
for k = 1, #jobs, 2 do
  local id, i = split_job(jobs[k])
  local peer = id and redis.call('HGET', p .. 'm:' .. id, 'p' .. i)
  if peer then
    seen(peer)
    if tonumber(jobs[k + 1]) >= now then leased[peer] = leased[peer] + 1 else waiting[peer] = waiting[peer] + 1 end
  end
end
local out = {}
for _, peer in ipairs(order) do
  out[#out + 1] = peer
  out[#out + 1] = waiting[peer]
  out[#out + 1] = leased[peer]
  out[#out + 1] = first[peer]
end
return out
