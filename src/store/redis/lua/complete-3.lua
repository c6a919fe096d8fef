--[[
  End one recipient's job because the recipient itself said so (MM1: retrieval acknowledged, or the
  message rejected), whatever its state and whether leased or not. finish() clears the lease fields, so a
  worker still holding the job fails settle's lease check (-1: LeaseLostError).
  KEYS[1] peer schedule P:{sN}:peers   KEYS[2] leases P:{sN}:leased   KEYS[3] expiry index P:{sN}:exp
  ARGV[1] shard key prefix   ARGV[2] message id   ARGV[3] recipient index   ARGV[4] state (delivered |
  rejected | expired | failed)   ARGV[5] detail   ARGV[6] now   ARGV[7] retention ms   ARGV[8] events stream max length
  ARGV[9] 0: the recipient allows no delivery report (no final event, whatever the message asked), else 1
  Returns 'completed', 'already-final' (nothing changed) or 'unknown' (no such message or recipient).
]]
local p, id, i, state, detail = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, retention, evmax = tonumber(ARGV[6]), ARGV[7], ARGV[8]
if state ~= 'delivered' and state ~= 'rejected' and state ~= 'expired' and state ~= 'failed' then return redis.error_reply('complete: bad state ' .. state) end
local st = redis.call('HMGET', p .. 'm:' .. id, 's' .. i, 'p' .. i, 'a' .. i, 'h' .. i, 'dr', 'pending')
if not st[1] then return 'unknown' end
if TERMINAL[st[1]] then return 'already-final' end
local job = id .. '/' .. i
-- Out of every index that could hand the job out again: the leases (a lease that runs out is reclaimed
-- from there) and its peer's ready set.
redis.call('ZREM', KEYS[2], job)
redis.call('ZREM', p .. 'r:' .. st[2], job)
reschedule(p, KEYS[1], st[2])
local dr = ARGV[9] == '0' and '0' or st[5]
finish(p, KEYS[3], id, i, now, state, tonumber(st[3]), detail, st[4], dr, st[6], retention, evmax)
return 'completed'
