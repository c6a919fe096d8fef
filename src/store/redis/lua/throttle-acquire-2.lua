--[[
  Per-peer rate limit and in-flight slots, shared by every gateway instance.
  The rate limit is a token bucket (rate, burst) in its GCRA form (virtual scheduling, ITU-T I.371): the
  peer's theoretical arrival time TAT advances by one emission interval per token, and a delivery of cost k
  (k tokens at once) may go when its last token conforms: at max(now, TAT + (k - 1) * interval - (burst - 1)
  * interval). Instead of only refusing when the bucket is empty, acquire schedules each delivery a few ms
  ahead, up to a horizon: workers wait that long, so the peer receives an even stream at its rate; what lies
  beyond the horizon is refused and deferred.
  KEYS[1] bucket P:{t:<peer>}:b (hash tat)   KEYS[2] slots P:{t:<peer>}:f (zset lease -> lease end)
  ARGV[1] now   ARGV[2] rate per second   ARGV[3] burst   ARGV[4] max in flight   ARGV[5] horizon ms
  ARGV[6..] triples of lease token, lease end, cost (tokens): one per delivery asked for
  Returns { granted, retry after ms, wait ms of delivery 1, ..., wait ms of delivery granted }.
]]
local now, rate, burst, cap, horizon = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local want = (#ARGV - 5) / 3
local interval = 1000 / rate
local tolerance = (math.max(1, burst) - 1) * interval
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or now)
if tat < now then tat = now end

-- A slot whose lease ended was held by a worker that died or overran: it frees itself.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 1)
local free = cap - redis.call('ZCARD', KEYS[2])

local out = { 0, 0 }
local granted, lastEnd, nextAt = 0, now, now
while granted < want and granted < free do
  local base = 5 + 3 * granted
  local cost = tonumber(ARGV[base + 3])
  local at = math.max(now, tat + (cost - 1) * interval - tolerance)
  nextAt = at
  if at - now > horizon then break end
  granted = granted + 1
  out[2 + granted] = math.ceil(at - now)
  tat = tat + cost * interval
  local e = tonumber(ARGV[base + 2])
  redis.call('ZADD', KEYS[2], e, ARGV[base + 1])
  if e > lastEnd then lastEnd = e end
end
-- Kept as a string: Lua numbers handed to Redis are truncated to integers, and TAT moves in fractions.
redis.call('HSET', KEYS[1], 'tat', tostring(tat))
redis.call('PEXPIRE', KEYS[1], math.ceil(tat - now + tolerance) + 60000)
if granted > 0 then redis.call('PEXPIRE', KEYS[2], lastEnd - now + 60000) end

-- Refused deliveries: when the schedule is full, retry when the next one falls inside the horizon; when the
-- in-flight cap is the limit, after a short pause, because slots free up as deliveries end.
local CAP_RETRY_MS = 20
out[1] = granted
if granted < want then
  if granted >= free then
    out[2] = CAP_RETRY_MS
  else
    out[2] = math.max(1, math.ceil(nextAt - now - horizon))
  end
end
return out
