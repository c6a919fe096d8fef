--[[
  Check and count one marketing send of a sender to a subscriber (FrequencyStore.take), in one step so that
  instances racing on the last free place cannot both pass: the sends of the last 7 days are a sorted set
  (member: the send's token, the job id; score: its time in ms), trimmed to the week on each call.
  KEYS[1] P:{f:<sender>:<subscriber>}
  ARGV[1] now (ms)   ARGV[2] max per rolling 24 h (0: none)   ARGV[3] max per rolling 7 d (0: none)
  ARGV[4] token      ARGV[5] day (ms)   ARGV[6] week (ms)
  Returns { 1 } when counted (or counted before under this token), { 0, until ms, 'day' | 'week' } when over
  a cap: until is when the window frees up (the later of the two when both hold it back).
]]
local key, now, perDay, perWeek, token = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local day, week = tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now - week))
if redis.call('ZSCORE', key, token) then return { 1 } end

local untilMs, cap = nil, nil
-- The entry whose leaving brings the window's count under max: the (n - max + 1)-th oldest in the window.
local function check(name, max, window)
  if max <= 0 then return end
  local from = '(' .. string.format('%d', now - window)
  local n = redis.call('ZCOUNT', key, from, '+inf')
  if n < max then return end
  local e = redis.call('ZRANGEBYSCORE', key, from, '+inf', 'WITHSCORES', 'LIMIT', n - max, 1)
  local u = tonumber(e[2]) + window
  if not untilMs or u > untilMs then
    untilMs, cap = u, name
  end
end
check('day', perDay, day)
check('week', perWeek, week)
if untilMs then return { 0, string.format('%d', untilMs), cap } end

redis.call('ZADD', key, string.format('%d', now), token)
redis.call('PEXPIRE', key, week)
return { 1 }
