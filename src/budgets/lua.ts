/**
 * The Lua scripts the Redis store runs (one EVALSHA per batch of decisions, consume-batch.ts). Redis runs a script atomically,
 * so every replica sees each decision whole: read all windows, then increment all or none.
 */

/**
 * Many decisions in one call (the store batches the decisions of one event-loop turn): each decision
 * is still all-or-nothing, and the batch runs atomically, in order. Decisions of one turn mostly
 * draw on the same few counter fields, so the batch names each (key, field) once as a slot: the
 * script reads every slot once, keeps running values per slot, and writes each slot's total
 * increment once at the end. Decisions of one turn mostly have the same shape too (the same checks
 * on the same slots), so each shape is sent once and the decisions as runs of one shape: parsing the
 * packed numbers was most of the script's time. It answers only what the caller cannot know — each
 * decision's refusal and each slot's value before the batch; the caller replays the sliding use
 * from those (consume-batch.ts), with the same arithmetic in the same order.
 * KEYS: the batch's distinct keys (counters and scope indexes), each once.
 * ARGV (numbers packed space-separated):
 *   [1] now
 *   [2] slots: K, then K × (key, quantity 1..5)
 *   [3] specs: P, then per spec: prevWeight, ttlMs, Q, then Q × (quantity 1..5, limit, amount)
 *   [4] shapes: H, then per shape C checks, per check: spec, index key, scope (an ARGV position,
 *       0 = the index was touched lately, skip it), then Q × (current slot, previous slot)
 *   [5] decisions in order, as runs: R, then R × (shape, how many decisions of it in a row)
 *   [6…] the batch's distinct scopes
 * Returns one string: D refusals (-1 | check*5+quantity-1), then K slot values before the batch.
 */
export const CONSUME_LUA = `
local F = {'requests','request_bytes','log_events','metric_points','events'}
local function nums(s)
  local t, n = {}, 0
  for tok in string.gmatch(s, '[^ ]+') do n = n + 1; t[n] = tonumber(tok) end
  return t
end
local S, P, T, R = nums(ARGV[2]), nums(ARGV[3]), nums(ARGV[4]), nums(ARGV[5])
local val, base, slotKey = {}, {}, {}
local out, n = {}, 0
for s = 1, S[1] do
  local key, q = S[2 * s], S[2 * s + 1]
  local x = tonumber(redis.call('HGET', KEYS[key], F[q])) or 0
  val[s], base[s], slotKey[s] = x, x, key
end
-- spec number -> its position in P
local spec, p = {}, 2
for i = 1, P[1] do spec[i] = p; p = p + 3 + 3 * P[p + 2] end
-- Each shape compiled once: per quantity it adds to, in check order, 7 numbers (current slot,
-- previous slot, prevWeight, limit, amount, refusal code, ttl); and the scope index entries it refreshes.
local shapes, a = {}, 2
for h = 1, T[1] do
  local c = T[a]
  a = a + 1
  local tests, nx, touches = {}, 0, {}
  for i = 0, c - 1 do
    local sp = spec[T[a]]
    local w, q = P[sp], P[sp + 2]
    if T[a + 2] > 0 then touches[#touches + 1] = a end
    a = a + 3
    for j = 0, q - 1 do
      local e = sp + 3 + 3 * j
      if P[e + 2] > 0 then
        tests[nx + 1], tests[nx + 2], tests[nx + 3], tests[nx + 4] = T[a], T[a + 1], w, P[e + 1]
        tests[nx + 5], tests[nx + 6], tests[nx + 7] = P[e + 2], i * 5 + P[e] - 1, P[sp + 1]
        nx = nx + 7
      end
      a = a + 2
    end
  end
  shapes[h] = {tests, nx, touches}
end
local add, ttlOf, touch, nt, touched = {}, {}, {}, 0, {}
for r = 1, R[1] do
  local sh = shapes[R[2 * r]]
  local tests, nx = sh[1], sh[2]
  local k, runLength = 1, R[2 * r + 1]
  while k <= runLength do
    local refused = -1
    for x = 1, nx, 7 do
      if val[tests[x]] + val[tests[x + 1]] * tests[x + 2] + tests[x + 4] > tests[x + 3] then refused = tests[x + 5]; break end
    end
    n = n + 1
    out[n] = refused
    k = k + 1
    if refused >= 0 then
      -- a refusal changed nothing: the rest of the run, the same checks on the same values, is refused alike
      while k <= runLength do n = n + 1; out[n] = refused; k = k + 1 end
    else
      for x = 1, nx, 7 do
        local s, amount = tests[x], tests[x + 4]
        val[s] = val[s] + amount
        add[s] = (add[s] or 0) + amount
        ttlOf[s] = tests[x + 6]
      end
      -- the first accepted decision of a shape refreshes its index entries, once per (index, scope)
      local touches = sh[3]
      if touches then
        sh[3] = nil
        for _, b in ipairs(touches) do
          local id = T[b + 1] * 65536 + T[b + 2]
          if not touched[id] then touched[id] = true; nt = nt + 1; touch[nt] = b end
        end
      end
    end
  end
end
local fresh = {}
for s, amount in pairs(add) do
  redis.call('HINCRBY', KEYS[slotKey[s]], F[S[2 * s + 1]], amount)
  -- a counter gets its TTL when it is created; a live one keeps the TTL it has
  if base[s] == 0 then fresh[slotKey[s]] = ttlOf[s] end
end
for key, ttl in pairs(fresh) do redis.call('PEXPIRE', KEYS[key], ttl) end
for i = 1, nt do
  local b = touch[i]
  redis.call('ZADD', KEYS[T[b + 1]], ARGV[1], ARGV[T[b + 2]])
  redis.call('PEXPIRE', KEYS[T[b + 1]], 691200000)
end
for s = 1, S[1] do n = n + 1; out[n] = base[s] end
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
