/**
 * The Lua scripts of RedisCampaignStore: each update of a campaign's state is one script, so it is
 * atomic across every API replica and the stream. Their arithmetic is that of `recordPull`,
 * `recordReward` (engines/bandits/stats.ts) and `recordCredit` (memory-store.ts), operation for
 * operation, so that both stores hold the same numbers.
 *
 * An arm's statistics are one hash field: eight numbers written with `%.17g` (they round-trip),
 * `pulls n sum sumSq disc.n disc.sum disc.sumSq disc.at`. A decision is a hash: `r` the record
 * (JSON), `c` campaign, `a` arm, `s` its segment field (`<segment>|<arm>`, '' without a segment),
 * `e` expires_at, `v` default value ('' for none), `w` '1' once rewarded, `t` the token of the
 * REWARD call that rewarded it (none when the stream or its default did).
 */

const PRELUDE = `
local function fmt(x) return string.format('%.17g', x) end
local function get_stats(h, f)
  local s = redis.call('HGET', h, f)
  if not s then return {0, 0, 0, 0, 0, 0, 0, 0} end
  local t = {}
  for x in string.gmatch(s, '%S+') do t[#t + 1] = tonumber(x) end
  return t
end
local function put_stats(h, f, t)
  local s = fmt(t[1]) .. ' ' .. fmt(t[2]) .. ' ' .. fmt(t[3]) .. ' ' .. fmt(t[4]) .. ' ' ..
    fmt(t[5]) .. ' ' .. fmt(t[6]) .. ' ' .. fmt(t[7]) .. ' ' .. fmt(t[8])
  redis.call('HSET', h, f, s)
  return s
end
-- powInt: x^k by squaring (C's pow may differ from V8's in the last bit; products do not)
local function powint(x, k)
  local r, b, e = 1, x, k
  while e > 0 do
    if e % 2 == 1 then r = r * b end
    b = b * b
    e = math.floor(e / 2)
  end
  return r
end
-- discountedAt: the discounted moments brought up to the clock
local function discounted(t, gamma, clock)
  if gamma >= 1 or clock <= t[8] then return t[5], t[6], t[7] end
  local f = powint(gamma, clock - t[8])
  return t[5] * f, t[6] * f, t[7] * f
end
-- recordPull
local function pull(h, f)
  local t = get_stats(h, f)
  t[1] = t[1] + 1
  return put_stats(h, f, t)
end
-- recordReward (the clock before this observation)
local function observe(h, f, v, clock, gamma)
  local t = get_stats(h, f)
  t[2] = t[2] + 1
  t[3] = t[3] + v
  t[4] = t[4] + v * v
  local n, s, q = discounted(t, gamma, clock)
  t[5] = n + 1
  t[6] = s + v
  t[7] = q + v * v
  t[8] = clock
  return put_stats(h, f, t)
end
-- creditWithin: at most what is left of the count (room), never below 0
local function credit_within(v, room)
  local c = math.min(v, room)
  if c > 0 then return c end
  return 0
end
-- recordCredit: a value added to an observation counted before, at most what is left of the count
local function credit(h, f, v, clock, gamma)
  local t = get_stats(h, f)
  local c = credit_within(v, t[2] - t[3])
  t[3] = t[3] + c
  t[4] = t[4] + c * c
  local n, s, q = discounted(t, gamma, clock)
  local cd = credit_within(v, n - s)
  t[5] = n
  t[6] = s + cd
  t[7] = q + cd * cd
  t[8] = clock
  return put_stats(h, f, t)
end
-- The reward of a stored decision: marked rewarded, off the due set, one observation of its arm
-- (and of its segment) at the campaign clock, which moves on. Returns the arm's stats, the clock
-- and the arm.
-- dk decision, due, ck clock, ak arms, sk segments
local function apply(dk, due, member, ck, ak, sk, v, gamma)
  redis.call('HSET', dk, 'w', '1')
  redis.call('ZREM', due, member)
  local clock = redis.call('INCR', ck) - 1
  local rec = redis.call('HMGET', dk, 'a', 's')
  local s = observe(ak, rec[1], v, clock, gamma)
  if rec[2] ~= '' then observe(sk, rec[2], v, clock, gamma) end
  return {'applied', s, tostring(clock + 1), rec[1]}
end
`;

/**
 * Keys: campaigns hash. Argv: id, JSON, the JSON it replaces ('' for any). Replaces a campaign only
 * if it exists (and is still the one it replaces).
 */
export const UPDATE_CAMPAIGN = `local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or (ARGV[3] ~= '' and stored ~= ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/**
 * Decisions, each stored with its pull (as a group commit: every decision an API process makes in
 * one turn of its event loop goes in one call). Keys: per decision, decision, arms, segments, due.
 * Argv: per decision, record JSON, campaign, arm, segment field ('' for none), expires_at, default
 * value ('' for none), time to live (ms), due member. Returns the number of decisions.
 */
export const DECIDE = `${PRELUDE}
local n = #KEYS / 4
for i = 0, n - 1 do
  local k, a = i * 4, i * 8
  -- A decision id is new: one already stored is this script sent again (a reply lost, the command
  -- resent on reconnect), and counts once.
  if redis.call('HSETNX', KEYS[k + 1], 'r', ARGV[a + 1]) == 1 then
    redis.call('HSET', KEYS[k + 1], 'c', ARGV[a + 2], 'a', ARGV[a + 3], 's', ARGV[a + 4],
      'e', ARGV[a + 5], 'v', ARGV[a + 6], 'w', '0')
    redis.call('PEXPIRE', KEYS[k + 1], ARGV[a + 7])
    pull(KEYS[k + 2], ARGV[a + 3])
    if ARGV[a + 4] ~= '' then pull(KEYS[k + 3], ARGV[a + 4]) end
    if ARGV[a + 6] ~= '' then redis.call('ZADD', KEYS[k + 4], ARGV[a + 5], ARGV[a + 8]) end
  end
end
return n`;

/**
 * Rewards, in order (a group commit, like DECIDE). Keys: per reward, decision, due, clock, arms,
 * segments (of the campaign named). Argv: per reward, campaign, value, now, gamma, due member, and
 * a token unique to the call. Returns per reward {status} or {'applied', arm stats, clock after, arm}.
 * The call that rewarded a decision is told 'applied' again when it is sent again (its reply lost,
 * the command resent on reconnect), with the arm and clock as they are now: it is still the one
 * that applied the reward (and publishes it); any other repeat is a 'duplicate'.
 */
export const REWARD = `${PRELUDE}
local out = {}
for i = 0, #KEYS / 5 - 1 do
  local k, a = i * 5, i * 6
  local rec = redis.call('HMGET', KEYS[k + 1], 'c', 'w', 'e', 't', 'a')
  if rec[1] ~= ARGV[a + 1] then out[i + 1] = {'unknown'}
  elseif tonumber(ARGV[a + 3]) > tonumber(rec[3]) then out[i + 1] = {'expired'}
  elseif rec[2] == '1' and rec[4] == ARGV[a + 6] then
    out[i + 1] = {'applied', redis.call('HGET', KEYS[k + 4], rec[5]), redis.call('GET', KEYS[k + 3]), rec[5]}
  elseif rec[2] == '1' then out[i + 1] = {'duplicate'}
  else
    redis.call('HSET', KEYS[k + 1], 't', ARGV[a + 6])
    out[i + 1] = apply(KEYS[k + 1], KEYS[k + 2], ARGV[a + 5], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5],
      tonumber(ARGV[a + 2]), tonumber(ARGV[a + 4]))
  end
end
return out`;

/**
 * Keys: decision, due, clock, arms, segments (of the campaign in the due member). Argv: campaign,
 * gamma, due member. Applies the default value if this caller removed the member from the due set
 * and the decision is still unrewarded; returns the record (JSON) it rewarded, or false.
 */
export const APPLY_DEFAULT = `${PRELUDE}
if redis.call('ZREM', KEYS[2], ARGV[3]) == 0 then return false end
local rec = redis.call('HMGET', KEYS[1], 'c', 'w', 'v', 'r')
if rec[1] ~= ARGV[1] or rec[2] == '1' or not rec[3] or rec[3] == '' then return false end
apply(KEYS[1], KEYS[2], ARGV[3], KEYS[3], KEYS[4], KEYS[5], tonumber(rec[3]), tonumber(ARGV[2]))
return rec[4]`;

/**
 * Keys: feedback key, decision ('' id when none), due, clock, arms, segments. Argv: kind, campaign,
 * arm, value, gamma, when it happened (no later than now), time to live of the feedback key (ms),
 * due member, '1' when the decision id is one `decide` makes ('' otherwise). Returns 1 when the
 * key was new (the update applied), 0 for a repeat, 2 when the key was new but the decision of
 * `decide` is no longer held (nothing applied, as MemoryCampaignStore).
 */
export const FEEDBACK = `${PRELUDE}
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[7], 'NX') then return 0 end
local kind, arm = ARGV[1], ARGV[3]
local v, gamma = tonumber(ARGV[4]), tonumber(ARGV[5])
local known = redis.call('HGET', KEYS[2], 'c') == ARGV[2]
if not known and ARGV[9] == '1' then return 2 end
if kind == 'pull' or kind == 'impression' then
  if known then return 1 end
  pull(KEYS[5], arm)
  if kind == 'impression' then observe(KEYS[5], arm, 0, redis.call('INCR', KEYS[4]) - 1, gamma) end
elseif known then
  local rec = redis.call('HMGET', KEYS[2], 'w', 'e')
  if rec[1] == '1' or tonumber(ARGV[6]) > tonumber(rec[2]) then return 1 end
  apply(KEYS[2], KEYS[3], ARGV[8], KEYS[4], KEYS[5], KEYS[6], v, gamma)
elseif kind == 'reward' then
  observe(KEYS[5], arm, v, redis.call('INCR', KEYS[4]) - 1, gamma)
elseif kind == 'credit' then
  credit(KEYS[5], arm, v, tonumber(redis.call('GET', KEYS[4]) or '0'), gamma)
end
return 1`;

/**
 * Keys: clock, arms, segments. Argv: the field prefix of each segment asked for (`<segment>|`).
 * Returns {clock, {arm, stats, …}, and per segment {stats or false per arm}}: one consistent read.
 */
export const ARMS = `local out = {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2])}
local all = out[2]
for i = 1, #ARGV do
  local fields = {}
  for j = 1, #all, 2 do fields[#fields + 1] = ARGV[i] .. all[j] end
  if #fields > 0 then out[#out + 1] = redis.call('HMGET', KEYS[3], unpack(fields)) else out[#out + 1] = {} end
end
return out`;
