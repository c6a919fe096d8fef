--[[
  Discard a message's content stage (Queue.stage, purpose 'message'): delete its key, unless the message
  is stored. Two copies of one request may stage under the same Message-ID (a VASP's retry while the first
  is still running: IdempotencyStore); the first SET wins the key, and the other copy's enqueue may store
  the message on it. The winner, refused after that, must not delete the stored message's content.
  KEYS[1] content key P:{sN}:c:<id>   KEYS[2] message hash P:{sN}:m:<id>
  Returns 1 deleted, 0 kept (the message is stored).
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
return 1
