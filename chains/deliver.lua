-- deliver.lua: the release formats as branches of one mastered signal.
--
--   local deliver = require("deliver")
--   deliver.profiles.cd.ceiling_dbtp = -1        -- change a default for every later call
--   deliver.streaming(master, "song")             -- song.streaming.flac
--   deliver.cd(master, "song", {ceiling_dbtp = -0.5})
--   deliver.all(master, "song", "streaming,cd,vinyl,hires")
--
-- Each function appends its branch to `master` and an output() whose deliverable names the spec
-- it must meet ("cd", or "cd:ceiling_dbtp=-0.5" when a checked value differs from the default),
-- so `lathe master` and `lathe render --json` check the written file against the same numbers.
-- (The file extension sets the container: output{format = "flac"} trips an engine bug.)
-- Defaults follow ../shared/specs.md (table at the top, sections 1-4). They are gentle: nothing
-- turns a mix up (cap{} only ever turns down), limiting only catches what is left over a ceiling.

local deliver = {}

deliver.profiles = {
  streaming = {
    max_lufs = -14,          -- turned down to this when louder; a quieter mix is left alone
    mode = "cap",            -- "cap": never louder than max_lufs; "target": loudness{} to exactly it
    ceiling_dbtp = -1,       -- true-peak ceiling ...
    loud_ceiling_dbtp = -2,  -- ... and when the master is louder than loud_above_lufs
    loud_above_lufs = -14,
    max_gr_db = 6,           -- mode "target": fail rather than limit more than this
    margin_db = 0.02,        -- limiters aim this far under the ceiling (24-bit rounding)
    max_rate = 48000,        -- a higher source rate comes down to 44.1 or 48 kHz ...
    rate = nil,              -- ... unless a rate is asked for
    bits = 24, format = "flac",
  },
  cd = {
    max_lufs = -14, rate = 44100, ceiling_dbtp = -0.3, sector_frames = 588, min_track_s = 4,
    margin_db = 0.05,        -- the limiter aims this far under the ceiling: dither and 16-bit
                             -- rounding come after it
    lookahead_ms = 5, release_ms = 100, shaping = "none", bits = 16, format = "wav",
    auto_blank_ms = 10,      -- no dither noise where the master is exact digital zero this long
  },
  vinyl = {
    max_lufs = -14,          -- -18..-14 LUFS: a louder mix comes down, a quieter one stays
    peak_dbtp = -0.5,        -- linear turn-down for headroom under the plant's 0 dBTP (no limiter)
    ceiling_dbtp = 0,
    highpass_hz = 25,        -- sub-sonic cut
    deess = true, deess_hz = 7000, deess_threshold_db = -30, deess_range_db = 3,
    max_rate = 96000, rate = nil, bits = 24, format = "wav",
    lf_hz = 300,             -- the one low-end frequency: the elliptical filter makes the side
                             -- mono below it, and the check (spec.c lf_hz) wants the low end in
                             -- phase below it; a single value, so the chain passes its own check
  },
  hires = {
    max_lufs = -14,
    max_limit_db = 1,        -- lighter than streaming: at most this much peak limiting
    ceiling_dbtp = -1, margin_db = 0.02,
    rate = nil,              -- the mix's own rate; never upsampled unless asked (rate = 96000)
    bits = 24, format = "flac",
  },
}

-- The values the C spec checks (cli/spec.c), per profile.
deliver.checked = {
  streaming = {"ceiling_dbtp", "loud_ceiling_dbtp", "loud_above_lufs", "max_rate"},
  cd = {"ceiling_dbtp", "rate", "sector_frames", "min_track_s"},
  vinyl = {"ceiling_dbtp", "max_lufs", "max_rate", "lf_hz"},
  hires = {"ceiling_dbtp"},
}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local stock = {}
for name, p in pairs(deliver.profiles) do stock[name] = copy(p) end

-- The profile with opts over it, and -D name.key=value over both (e.g. -D cd.ceiling_dbtp=-1).
local function settings(name, opts)
  local s = copy(deliver.profiles[name])
  for k, v in pairs(opts or {}) do s[k] = v end
  for k, v in pairs(s) do
    if type(v) == "number" or type(v) == "boolean" or type(v) == "string" then
      s[k] = param(name .. "." .. k, v)
    end
  end
  for _, k in ipairs({"rate"}) do
    local v = param(name .. "." .. k, "")
    if v ~= "" then s[k] = tonumber(v) end
  end
  return s
end

-- "cd" or "cd:ceiling_dbtp=-1,..." with every checked value that differs from the stock one.
function deliver.spec(name, s)
  local parts = {}
  for _, k in ipairs(deliver.checked[name]) do
    if s[k] ~= nil and s[k] ~= stock[name][k] then
      parts[#parts + 1] = string.format("%s=%.10g", k, s[k])
    end
  end
  if name == "streaming" and s.rate and s.rate > s.max_rate then
    parts[#parts + 1] = string.format("max_rate=%d", s.rate)
  end
  return #parts == 0 and name or name .. ":" .. table.concat(parts, ",")
end

-- Branch points are memoised, so branches asking for the same turn-down share one node.
local memo = {}
local function capped(node, max_lufs, max_dbtp)
  local key = tostring(node) .. "|" .. tostring(max_lufs) .. "|" .. tostring(max_dbtp)
  if not memo[key] then
    memo[key] = node:cap{max_lufs = max_lufs, max_dbtp = max_dbtp or 6}
  end
  return memo[key]
end

local function at_rate(node, rate)
  if rate and rate ~= format(node).rate then return node:resample{rate = rate} end
  return node
end

-- A source rate above max comes down to the highest rate of the same family (44.1k or 48k).
local function rate_under(src, max)
  if src <= max then return src end
  local family = (src % 44100 == 0) and 44100 or 48000
  local r = family
  while r * 2 <= max do r = r * 2 end
  return r
end

local function write(node, stem, name, s, tags)
  output(node, string.format("%s.%s.%s", stem, name, s.format),
         {bits = s.bits, deliverable = deliver.spec(name, s), tags = tags})
  return node
end

function deliver.streaming(master, stem, opts)
  local s = settings("streaming", opts)
  local loud = s.max_lufs > s.loud_above_lufs
  local ceiling = (loud and s.loud_ceiling_dbtp or s.ceiling_dbtp) - s.margin_db
  local x
  if s.mode == "target" then
    x = master:loudness{target_lufs = s.max_lufs, ceiling_dbtp = ceiling, max_gr_db = s.max_gr_db}
  else
    x = capped(master, s.max_lufs):limit{ceiling_dbtp = ceiling}
  end
  x = at_rate(x, s.rate or rate_under(format(master).rate, s.max_rate))
  if x ~= master and format(x).rate ~= format(master).rate then
    x = x:limit{ceiling_dbtp = ceiling} -- SRC can make new inter-sample peaks
  end
  return write(x, stem, "streaming", s, opts and opts.tags)
end

function deliver.cd(master, stem, opts)
  local s = settings("cd", opts)
  local x = at_rate(capped(master, s.max_lufs), s.rate)
  x = x:limit{ceiling_dbtp = s.ceiling_dbtp - s.margin_db, lookahead_ms = s.lookahead_ms,
              release_ms = s.release_ms}
  x = x:pad{to_multiple_frames = s.sector_frames}
  x = x:dither{bits = 16, shaping = s.shaping, auto_blank_ms = s.auto_blank_ms} -- once, last
  return write(x, stem, "cd", s, opts and opts.tags)
end

function deliver.vinyl(master, stem, opts)
  local s = settings("vinyl", opts)
  local x = at_rate(master, s.rate or rate_under(format(master).rate, s.max_rate))
  if s.highpass_hz > 0 then
    x = x:eq{{type = "highpass", freq_hz = s.highpass_hz, slope_db_oct = 24}}
  end
  if s.lf_hz > 0 and format(x).channels == 2 then
    x = x:stereo{bass_mono_hz = s.lf_hz}
  end
  if s.deess then
    x = x:dyneq{{type = "bell", freq_hz = s.deess_hz, q = 1.5, threshold_db = s.deess_threshold_db,
                 ratio = 3, range_db = s.deess_range_db, attack_ms = 2, release_ms = 80}}
  end
  -- No limiter: one linear turn-down for loudness and peak headroom.
  x = x:cap{max_lufs = s.max_lufs, max_dbtp = math.min(s.peak_dbtp, s.ceiling_dbtp)}
  return write(x, stem, "vinyl", s, opts and opts.tags)
end

function deliver.hires(master, stem, opts)
  local s = settings("hires", opts)
  local x = at_rate(master, s.rate)
  -- Turn down (loudness, and peaks until at most max_limit_db is left for the limiter to catch).
  -- One cap with both bounds: a barrier fed by the shared cap trips an engine bug (#hires-cap).
  x = capped(x, s.max_lufs, s.ceiling_dbtp + s.max_limit_db)
  x = x:limit{ceiling_dbtp = s.ceiling_dbtp - s.margin_db}
  return write(x, stem, "hires", s, opts and opts.tags)
end

-- Every deliverable named in a comma list ("streaming,cd,vinyl,hires").
function deliver.all(master, stem, list, opts)
  for name in string.gmatch(list or "streaming,cd,vinyl,hires", "[^,%s]+") do
    if not deliver[name] or not deliver.profiles[name] then
      error("deliver: unknown deliverable '" .. name .. "' (streaming, cd, vinyl, hires)", 2)
    end
    deliver[name](master, stem, opts and opts[name])
  end
end

return deliver
