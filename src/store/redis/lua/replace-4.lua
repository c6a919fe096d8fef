--[[
  Replace a message not yet delivered (MM7 ReplaceReq): its JSON, its content (when given) and, when given,
  the due time of its pending jobs. Refused ('too-late') once any recipient is delivered or being delivered,
  or none is pending.
  KEYS[1] message hash P:{sN}:m:<id>   KEYS[2] content P:{sN}:c:<id>   KEYS[3] peer schedule P:{sN}:peers
  KEYS[4] replacement stage P:{sN}:c:<id>:next:<uuid> (Queue.stage 'replacement'; a placeholder otherwise)
  ARGV[1] shard key prefix   ARGV[2] message id   ARGV[3] message JSON
  ARGV[4] content: 0 keep, 1 ARGV[5] is the new framed content ('' none), 2 the stage KEYS[4] is, and ARGV[5]
  its size in bytes (a slice write that failed leaves it short: refused)   ARGV[6] new due time ('' = keep)
  ARGV[7] now
  Returns 'replaced', 'too-late', or 'unknown'.
]]
local p, id, json, newContent, content, due, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local mk = KEYS[1]
if newContent == '2' and redis.call('STRLEN', KEYS[4]) ~= tonumber(content) then
  return redis.error_reply('content incomplete for ' .. id)
end
local n = tonumber(redis.call('HGET', mk, 'n') or '-1')
if n < 0 then return 'unknown' end
local open = {}
for i = 0, n - 1 do
  local st = redis.call('HMGET', mk, 's' .. i, 'p' .. i)
  if st[1] == 'delivering' or st[1] == 'delivered' then return 'too-late' end
  if st[1] and not TERMINAL[st[1]] then open[#open + 1] = { i, st[2] } end
end
if #open == 0 then return 'too-late' end
redis.call('HSET', mk, 'json', json)
if newContent == '1' then
  if content == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], content, 'KEEPTTL') end
elseif newContent == '2' then
  -- The content keeps the lifetime it had (the message's), whatever the stage's own TTL was.
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then ttl = redis.call('PTTL', mk) end
  redis.call('RENAME', KEYS[4], KEYS[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) else redis.call('PERSIST', KEYS[2]) end
end
if due ~= '' then
  local at = math.max(tonumber(due), now)
  for _, o in ipairs(open) do
    redis.call('ZADD', p .. 'r:' .. o[2], 'XX', due_score(at, redis.call('INCR', p .. 'seq')), id .. '/' .. o[1])
    reschedule(p, KEYS[3], o[2])
  end
end
return 'replaced'
