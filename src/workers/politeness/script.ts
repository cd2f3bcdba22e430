/**
 * The Lua script behind per-host politeness (host-politeness.ts). One call carries a batch of
 * operations for any number of hosts, so a crawler process makes one round trip per event-loop
 * turn however many pages start or finish in it. It runs atomically on the Redis server's clock
 * (TIME), so processes on different machines agree.
 *
 * KEYS: per host h (1-based), three keys: KEYS[3h-2] leases (zset token -> expiry ms),
 *   KEYS[3h-1] next allowed start (ms), KEYS[3h] reservation cursor (ms).
 * ARGV: a flat list of operations:
 *   'r', h, token                              release a lease
 *   's', h, waitMs                             slow the host down: no start before now + waitMs
 *   'a', h, concurrency, delayMs, leaseMs, token   acquire a lease
 * Returns one number per 'a', in order: 0 = leased, else the ms to wait before trying again.
 *
 * A busy host hands each refused caller its own future turn (the cursor advances by one
 * spacing per refusal), so the pages waiting for a host come back one by one instead of all
 * polling at once: spacing is the host's delay, or 200 ms shared by its concurrency when it has none.
 */
export const HOSTS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local pruned = {}
local i = 1
while i <= #ARGV do
  local op = ARGV[i]
  local h = tonumber(ARGV[i + 1])
  local leases, nextKey, cursorKey = KEYS[3 * h - 2], KEYS[3 * h - 1], KEYS[3 * h]
  if op == 'r' then
    redis.call('ZREM', leases, ARGV[i + 2])
    i = i + 3
  elseif op == 's' then
    local wait = tonumber(ARGV[i + 2])
    local current = tonumber(redis.call('GET', nextKey) or '0')
    if now + wait > current then redis.call('SET', nextKey, now + wait, 'PX', wait) end
    i = i + 3
  else
    local concurrency, delay, leaseMs, token = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), ARGV[i + 5]
    if not pruned[h] then
      redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
      pruned[h] = true
    end
    local nextAt = tonumber(redis.call('GET', nextKey) or '0')
    local wait = 0
    if nextAt > now then
      wait = nextAt - now
    elseif redis.call('ZCARD', leases) >= concurrency then
      local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
      wait = math.max(1, math.min(tonumber(first[2]) - now, math.max(delay, 100)))
    end
    if wait == 0 then
      redis.call('ZADD', leases, now + leaseMs, token)
      if redis.call('PTTL', leases) < leaseMs then redis.call('PEXPIRE', leases, leaseMs) end
      if delay > 0 then redis.call('SET', nextKey, now + delay, 'PX', delay) end
      out[#out + 1] = 0
    else
      local spacing = delay
      if spacing <= 0 then spacing = math.max(1, math.floor(200 / concurrency)) end
      local turn = math.max(now + wait, tonumber(redis.call('GET', cursorKey) or '0'))
      redis.call('SET', cursorKey, turn + spacing, 'PX', turn + spacing - now + 60000)
      out[#out + 1] = turn - now
    end
    i = i + 6
  end
end
return out
`;
