--[[
  Token bucket plus in-flight slots for one peer, shared by every gateway instance.
  KEYS[1] bucket P:{t:<peer>}:b (hash tokens, ts)   KEYS[2] slots P:{t:<peer>}:f (zset lease -> lease end)
  ARGV[1] now   ARGV[2] rate per second   ARGV[3] burst   ARGV[4] max in flight
  ARGV[5..] pairs of lease token, lease end: one per delivery asked for
  Returns { granted, retry after ms }. Tokens are kept as a string: Lua numbers returned to Redis are
  truncated to integers, and a bucket refills in fractions.
]]
local now, rate, burst, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local want = (#ARGV - 4) / 2
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1] or burst)
local ts = tonumber(b[2] or now)
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end

-- A slot whose lease ended was held by a worker that died or overran: it frees itself.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 1)
local live = redis.call('ZCARD', KEYS[2])
local granted = math.max(0, math.min(want, math.floor(tokens), cap - live))
local lastEnd = now
for i = 1, granted do
  local e = tonumber(ARGV[4 + 2 * i])
  redis.call('ZADD', KEYS[2], e, ARGV[3 + 2 * i])
  if e > lastEnd then lastEnd = e end
end
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
if granted > 0 then redis.call('PEXPIRE', KEYS[2], lastEnd - now + 60000) end

-- When short of tokens: the time until the next one. When the in-flight cap is the limit: a short pause,
-- because slots are freed by release as deliveries finish (lease ends only bound crashed workers).
local CAP_RETRY_MS = 20
local retry = 0
if granted < want then
  if tokens < 1 then
    retry = math.ceil((1 - tokens) * 1000 / rate)
  else
    retry = CAP_RETRY_MS
  end
end
return { granted, retry }
