/**
 * The Lua scripts the Redis store runs (one EVALSHA per decision). Redis runs a script atomically,
 * so every replica sees each decision whole: read all windows, then increment all or none.
 */

/**
 * Many decisions in one call (the store batches the decisions of one event-loop turn): each decision
 * is still all-or-nothing, and the batch runs atomically, in order.
 * KEYS per check: current bucket, previous bucket, scope index.
 * ARGV: now, D decisions; per decision: C checks; per check: prevWeight, ttlMs, scope ('' = the
 * index was touched lately, skip it), Q limited quantities, then Q × (quantity 1..5, limit, amount).
 * Returns per decision: refused (-1 | check*5+quantity-1), then the sliding use before the call of
 * each limited quantity, in order (strings: sliding use is fractional).
 */
export const CONSUME_LUA = `
local F = {'requests','request_bytes','log_events','metric_points','events'}
local now = ARGV[1]
local a = 3
local k = 0
local out = {}
for d = 1, tonumber(ARGV[2]) do
  local c0, a0, k0 = a, a + 1, k
  local refused = -1
  local at = #out + 1
  out[at] = -1
  a = a + 1
  for i = 0, tonumber(ARGV[c0]) - 1 do
    local w = tonumber(ARGV[a])
    local q = tonumber(ARGV[a + 3])
    a = a + 4
    for j = 1, q do
      local f = F[tonumber(ARGV[a])]
      local used = (tonumber(redis.call('HGET', KEYS[k + 1], f)) or 0) + (tonumber(redis.call('HGET', KEYS[k + 2], f)) or 0) * w
      out[#out + 1] = tostring(used)
      local amount = tonumber(ARGV[a + 2])
      if refused < 0 and amount > 0 and used + amount > tonumber(ARGV[a + 1]) then refused = i * 5 + tonumber(ARGV[a]) - 1 end
      a = a + 3
    end
    k = k + 3
  end
  out[at] = refused
  if refused < 0 then
    a, k = a0, k0
    for i = 0, tonumber(ARGV[c0]) - 1 do
      local ttl, scope, q = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
      a = a + 4
      local fresh = false
      for j = 1, q do
        local amount = tonumber(ARGV[a + 2])
        if amount > 0 and redis.call('HINCRBY', KEYS[k + 1], F[tonumber(ARGV[a])], amount) == amount then fresh = true end
        a = a + 3
      end
      -- a counter gets its TTL when it is created; a live one keeps the TTL it has
      if fresh then redis.call('PEXPIRE', KEYS[k + 1], ttl) end
      if scope ~= '' then
        redis.call('ZADD', KEYS[k + 3], now, scope)
        redis.call('PEXPIRE', KEYS[k + 3], 691200000)
      end
      k = k + 3
    end
  end
end
return out
`;

/**
 * KEYS: S series sets (newest first), S HyperLogLogs (newest first), the scope index.
 * ARGV: S, max, mode, ttlMs, now, scope, ids…
 * Membership is exact (SMISMEMBER on the sets); the distinct count is PFCOUNT over the hour's HLLs.
 * Returns { before, verdict per id (0 known, 1 new counted, 2 new over budget) }.
 */
export const SERIES_LUA = `
local S = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local mode = ARGV[3]
local hlls = {}
for s = 1, S do hlls[s] = KEYS[S + s] end
local before = redis.call('PFCOUNT', unpack(hlls))
local ids = {}
for j = 7, #ARGV do ids[#ids + 1] = ARGV[j] end
local known = {}
local CH = 1000
for s = 1, S do
  local pending = {}
  for _, id in ipairs(ids) do if not known[id] then pending[#pending + 1] = id end end
  if #pending == 0 then break end
  for c = 1, #pending, CH do
    local part = {unpack(pending, c, math.min(c + CH - 1, #pending))}
    local hit = redis.call('SMISMEMBER', KEYS[s], unpack(part))
    for k = 1, #part do
      if hit[k] == 1 then known[part[k]] = (s == 1) and 1 or 2 end
    end
  end
end
local verdict = {}
local decided = {}
local accepted = 0
local over = false
local out = {before}
for _, id in ipairs(ids) do
  local v = decided[id]
  if v == nil then
    if known[id] then v = 0
    elseif before + accepted < max then v = 1; accepted = accepted + 1
    else v = 2; over = true end
    decided[id] = v
  end
  out[#out + 1] = v
end
if over and mode == 'refuse' then return out end
local add = {}
for id, v in pairs(decided) do
  -- known in an older slot, or new and counted: remembered in the current slot
  if (v == 0 and known[id] == 2) or v == 1 then add[#add + 1] = id end
end
for c = 1, #add, CH do
  local part = {unpack(add, c, math.min(c + CH - 1, #add))}
  redis.call('SADD', KEYS[1], unpack(part))
  redis.call('PFADD', KEYS[S + 1], unpack(part))
end
if #add > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[S + 1], ARGV[4])
end
redis.call('ZADD', KEYS[2 * S + 1], ARGV[5], ARGV[6])
redis.call('PEXPIRE', KEYS[2 * S + 1], ARGV[4])
return out
`;
