--[[
  Cancel a message (MM7 CancelReq): every recipient job that is not terminal and not being delivered now
  (no live lease) ends `cancelled`; jobs under a live lease finish their attempt.
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased   KEYS[3] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] message id   ARGV[3] now   ARGV[4] detail   ARGV[5] retention ms
  ARGV[6] events stream max length
  Returns { cancelled, in progress }, or -1 when the message is unknown.
]]
local p, id, now, detail, retention, evmax = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
local mk = p .. 'm:' .. id
local n = tonumber(redis.call('HGET', mk, 'n') or '-1')
if n < 0 then return -1 end
local cancelled, busy = 0, 0
for i = 0, n - 1 do
  local st = redis.call('HMGET', mk, 's' .. i, 'p' .. i, 'a' .. i, 'l' .. i, 'h' .. i, 'dr', 'pending')
  if st[1] and not TERMINAL[st[1]] then
    -- A live lease: held (token set) and not run out (its end is the job's score in the leases).
    if (st[4] or '') ~= '' and tonumber(redis.call('ZSCORE', KEYS[2], id .. '/' .. i) or '0') >= now then
      busy = busy + 1
    else
      local job = id .. '/' .. i
      redis.call('ZREM', KEYS[2], job)
      redis.call('ZREM', p .. 'r:' .. st[2], job)
      reschedule(p, KEYS[1], st[2])
      finish(p, KEYS[3], id, i, now, 'cancelled', tonumber(st[3]), detail, st[5], st[6], st[7], retention, evmax)
      cancelled = cancelled + 1
    end
  end
end
return { cancelled, busy }
