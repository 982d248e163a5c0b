/**
 * The Lua scripts the Redis store runs (one EVALSHA per decision). Redis runs a script atomically,
 * so every replica sees each decision whole: read all windows, then increment all or none.
 */

/**
 * Many decisions in one call (the store batches the decisions of one event-loop turn): each decision
 * is still all-or-nothing, and the batch runs atomically, in order. Decisions of one turn mostly
 * draw on the same few counters, so the script reads each counter field once, keeps the batch's
 * running values in a table, and writes each field's total increment once at the end.
 * KEYS: the batch's distinct keys (counters and scope indexes), each once.
 * ARGV[1]: now. ARGV[2]: the decisions packed as space-separated numbers: D, then per decision C
 * checks, per check: current key, previous key, index key (KEYS positions), prevWeight, ttlMs,
 * scope (an ARGV position, 0 = the index was touched lately, skip it), Q limited quantities, then
 * Q × (quantity 1..5, limit, amount). ARGV[3…]: the batch's distinct scopes.
 * Returns one string, space-separated: per decision refused (-1 | check*5+quantity-1), then the
 * sliding use before the call of each limited quantity, in order.
 */
export const CONSUME_LUA = `
local F = {'requests','request_bytes','log_events','metric_points','events'}
local now = ARGV[1]
local T = {}
for tok in string.gmatch(ARGV[2], '%S+') do T[#T + 1] = tonumber(tok) end
-- val[key][field]: the running value; base[key][field]: the value before the batch; add[key][field]: the batch's increment
local val, base, add, order = {}, {}, {}, {}
local function get(key, f)
  local v = val[key]
  if v == nil then v = {}; val[key] = v; base[key] = {} end
  local x = v[f]
  if x == nil then
    x = tonumber(redis.call('HGET', KEYS[key], f)) or 0
    v[f] = x
    base[key][f] = x
  end
  return x
end
local touch = {}
local a = 2
local out = {}
for d = 1, T[1] do
  local c = T[a]
  local a0 = a + 1
  local refused = -1
  local at = #out + 1
  out[at] = -1
  a = a + 1
  for i = 0, c - 1 do
    local cur, prev, w, q = T[a], T[a + 1], T[a + 3], T[a + 6]
    a = a + 7
    for j = 1, q do
      local f = F[T[a]]
      local used = get(cur, f) + get(prev, f) * w
      out[#out + 1] = tostring(used)
      local amount = T[a + 2]
      if refused < 0 and amount > 0 and used + amount > T[a + 1] then refused = i * 5 + T[a] - 1 end
      a = a + 3
    end
  end
  out[at] = refused
  if refused < 0 then
    local b = a0
    for i = 0, c - 1 do
      local cur, idx, ttl, scope, q = T[b], T[b + 2], T[b + 4], T[b + 5], T[b + 6]
      b = b + 7
      for j = 1, q do
        local f = F[T[b]]
        local amount = T[b + 2]
        if amount > 0 then
          local s = add[cur]
          if s == nil then s = {}; add[cur] = s; order[#order + 1] = {cur, ttl} end
          s[f] = (s[f] or 0) + amount
          val[cur][f] = val[cur][f] + amount
        end
        b = b + 3
      end
      if scope > 0 then touch[#touch + 1] = {idx, scope} end
    end
  end
end
for _, o in ipairs(order) do
  local key, fresh = o[1], false
  for f, n in pairs(add[key]) do
    redis.call('HINCRBY', KEYS[key], f, n)
    if base[key][f] == 0 then fresh = true end
  end
  -- a counter gets its TTL when it is created; a live one keeps the TTL it has
  if fresh then redis.call('PEXPIRE', KEYS[key], o[2]) end
end
for _, t in ipairs(touch) do
  redis.call('ZADD', KEYS[t[1]], now, ARGV[t[2]])
  redis.call('PEXPIRE', KEYS[t[1]], 691200000)
end
return table.concat(out, ' ')
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
