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
-- The values the check judges (ceilings, rates, bits, ...) come from the C profile table that
-- `lathe check` itself reads (nodes/measure/profiles.c, here as `spec_profiles`); this file
-- adds only how each branch gets there. Defaults follow ../shared/specs.md (table at the top,
-- sections 1-4). They are gentle: nothing turns a mix up (cap{} only ever turns down), limiting
-- only catches what is left over a ceiling.

local deliver = {}

deliver.profiles = {
  streaming = {
    mode = "cap",            -- "cap": never louder than max_lufs; "target": exactly target_lufs
    max_lufs = -14,          -- cap: turned down to this when louder; a quieter mix is left alone
    target_lufs = -14,       -- target: the integrated loudness reached (lathe master --target)
    max_gr_db = 6,           -- target: the limiting budget; fail rather than limit more
    margin_db = 0.02,        -- limiters aim this far under the ceiling (24-bit rounding)
    rate = nil,              -- a source rate above max_rate comes down unless one is asked for
    format = "flac",
  },
  cd = {
    mode = "cap",            -- "cap": never louder than max_lufs; "target": exactly target_lufs
    target_lufs = -14,       -- target: reached under the ceiling by the loudness node ...
    max_gr_db = 6,           -- ... limiting peaks at most this much (the budget), else it fails
    max_lufs = -14,
    margin_db = 0.05,        -- the limiter aims this far under the ceiling: dither and 16-bit
                             -- rounding come after it
    lookahead_ms = 3, release_ms = 100, shaping = "none", format = "wav",
    auto_blank_ms = 10,      -- no dither noise where the master is exact digital zero this long
  },
  vinyl = {                  -- max_lufs (checked): a louder mix comes down, a quieter one stays
    peak_dbtp = -0.5,        -- linear turn-down for headroom under the plant's 0 dBTP (no limiter)
    highpass_hz = 25,        -- sub-sonic cut
    deess = true, deess_hz = 7000, deess_threshold_db = -10, deess_range_db = 3,
    rate = nil, format = "wav",
    -- lf_hz (checked) is the one low-end frequency: the elliptical filter makes the side mono
    -- below it and the check wants the low end in phase below it, so the chain passes its check
  },
  hires = {
    mode = "cap",            -- "cap": never louder than max_lufs; "target": exactly target_lufs
    target_lufs = -14,       -- target: reached under the ceiling by the loudness node ...
    max_gr_db = 6,           -- ... limiting peaks at most this much (the budget), else it fails
    max_lufs = -14,
    max_limit_db = 1,        -- cap: lighter than streaming, at most this much peak limiting
    margin_db = 0.02,
    rate = nil,              -- the mix's own rate; never upsampled unless asked (rate = 96000)
    format = "flac",
  },
  mp3 = {                    -- a promo copy beside the masters (lathe master --deliver ...,mp3)
    mode = "cap",            -- "cap": never louder than max_lufs; "target": exactly target_lufs
    max_lufs = -14,
    target_lufs = -14, max_gr_db = 6,
    margin_db = 1,           -- the limiter aims this far under the ceiling: the encoder's overs
                             -- land in it, and the check judges the decoded file
    rate = nil,              -- the source's rate, brought under max_rate (MP3 stops at 48 kHz)
    format = "mp3",
  },
}

-- The checked values, from the C table; `deliver.checked[name]` lists them (sorted), and a value
-- that differs from the table's goes into the output's deliverable string for the check.
deliver.checked = {}
for name, p in pairs(deliver.profiles) do
  local keys = {}
  for k, v in pairs(spec_profiles[name]) do
    if k ~= "format" then
      keys[#keys + 1] = k
      if p[k] == nil then p[k] = v end
    end
  end
  table.sort(keys)
  deliver.checked[name] = keys
end

-- What each key means: `lathe help deliver` prints every profile key with its default and this
-- line (a key without one is a test failure, so the documentation cannot fall behind).
deliver.about = {
  mode = "\"cap\": never louder than max_lufs, the level otherwise kept; \"target\": exactly target_lufs",
  max_lufs = "cap: turned down to this integrated loudness (LUFS) when louder",
  target_lufs = "target: integrated loudness reached (LUFS; lathe master --target sets it)",
  max_gr_db = "target: the limiting budget: fail rather than limit peaks more (dB)",
  ceiling_dbtp = "true-peak ceiling of the file (dBTP, checked)",
  loud_ceiling_dbtp = "the ceiling when the master is louder than loud_above_lufs (dBTP, checked)",
  loud_above_lufs = "above this loudness loud_ceiling_dbtp applies (LUFS)",
  margin_db = "limiters aim this far under the ceiling (rounding, dither, codecs)",
  max_rate = "a higher source rate comes down to 44.1/48 kHz family under it (Hz)",
  rate = "sample rate written (Hz); unset: the source's (streaming, vinyl: under max_rate)",
  bits = "bits per sample written",
  format = "container (the file extension)",
  sector_frames = "length padded to a multiple of this (588 = one CD sector)",
  min_track_s = "shortest track allowed (s, checked)",
  lookahead_ms = "limiter lookahead (ms)",
  release_ms = "limiter release (ms)",
  shaping = "dither noise shaping: none or a named curve (`lathe help dither`)",
  peak_dbtp = "vinyl: linear turn-down for this much headroom (dBTP; no limiter)",
  highpass_hz = "sub-sonic high-pass (Hz, 24 dB/oct; 0: off)",
  auto_blank_ms = "no dither where the master is exact digital zero this long (ms; 0: off)",
  deess = "gentle de-esser (dynamic EQ) on or off",
  deess_hz = "de-esser centre (Hz)",
  deess_threshold_db = "de-esser threshold (dB of the 7 kHz band over the programme)",
  deess_range_db = "de-esser's most cut (dB)",
  lf_hz = "vinyl: side made mono below this, and low-end correlation checked below it (Hz; 0: off)",
  max_limit_db = "cap: turned down until at most this much is left for the limiter (dB)",
}
-- A checked key the chain does not describe itself is described by the C table.
for k, help in pairs(spec_help) do
  if not deliver.about[k] then deliver.about[k] = help .. " (checked)" end
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local stock = {}
for name, p in pairs(deliver.profiles) do stock[name] = copy(p) end

-- The names an options table of deliverable `name` may use: its profile's keys, rate, tags.
local function option_names(name)
  local names = {"rate", "tags"}
  for k in pairs(deliver.profiles[name]) do
    if k ~= "rate" then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

-- The profile with opts over it, and -D name.key=value over both (e.g. -D cd.ceiling_dbtp=-1).
local function settings(name, opts)
  local s = copy(deliver.profiles[name])
  if opts then check_keys(opts, option_names(name), "deliver." .. name) end
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
  if s.mode and s.mode ~= "cap" and s.mode ~= "target" then
    error(string.format("deliver.%s: mode must be \"cap\" or \"target\", got %q", name,
                        tostring(s.mode)), 3)
  end
  return s
end

-- mode "target": the loudness node reaches target_lufs under the ceiling, limiting peaks at
-- most max_gr_db (the budget: past it the render fails and says so).
local function reach(x, s, ceiling)
  return x:loudness{target_lufs = s.target_lufs, ceiling_dbtp = ceiling, max_gr_db = s.max_gr_db,
                    lookahead_ms = s.lookahead_ms, release_ms = s.release_ms}
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

-- stem.name.format ("song.cd.wav"); `label` replaces the name in the file name ("song.promo.mp3")
local function write(node, stem, name, s, tags, label)
  output(node, string.format("%s.%s.%s", stem, label or name, s.format),
         {bits = s.bits ~= 0 and s.bits or nil, bitrate_kbps = s.bitrate_kbps,
          deliverable = deliver.spec(name, s), tags = tags})
  return node
end

function deliver.streaming(master, stem, opts)
  local s = settings("streaming", opts)
  local loud = (s.mode == "target" and s.target_lufs or s.max_lufs) > s.loud_above_lufs
  local ceiling = (loud and s.loud_ceiling_dbtp or s.ceiling_dbtp) - s.margin_db
  local x
  if s.mode == "target" then -- at the output rate, so the limiter sees the peaks written
    x = reach(at_rate(master, s.rate or rate_under(format(master).rate, s.max_rate)), s, ceiling)
    return write(x, stem, "streaming", s, opts and opts.tags)
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
  local x
  if s.mode == "target" then
    x = reach(at_rate(master, s.rate), s, s.ceiling_dbtp - s.margin_db)
  else
    x = at_rate(capped(master, s.max_lufs), s.rate)
    x = x:limit{ceiling_dbtp = s.ceiling_dbtp - s.margin_db, lookahead_ms = s.lookahead_ms,
                release_ms = s.release_ms}
  end
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
    -- relative: its cut follows sibilance over the programme, not the mix's level before the cap
    x = x:dyneq{{type = "bell", freq_hz = s.deess_hz, q = 1.5, threshold_db = s.deess_threshold_db,
                 ratio = 3, range_db = s.deess_range_db, attack_ms = 2, release_ms = 80,
                 relative = true}}
  end
  -- No limiter: one linear turn-down for loudness and peak headroom.
  x = x:cap{max_lufs = s.max_lufs, max_dbtp = math.min(s.peak_dbtp, s.ceiling_dbtp)}
  return write(x, stem, "vinyl", s, opts and opts.tags)
end

function deliver.hires(master, stem, opts)
  local s = settings("hires", opts)
  local x = at_rate(master, s.rate)
  if s.mode == "target" then
    return write(reach(x, s, s.ceiling_dbtp - s.margin_db), stem, "hires", s, opts and opts.tags)
  end
  -- Turn down (loudness, and peaks until at most max_limit_db is left for the limiter to catch).
  -- One cap with both bounds (to float rounding the samples of a second cap after the shared one:
  -- test_cli_master's test_former_engine_bugs).
  x = capped(x, s.max_lufs, s.ceiling_dbtp + s.max_limit_db)
  x = x:limit{ceiling_dbtp = s.ceiling_dbtp - s.margin_db}
  return write(x, stem, "hires", s, opts and opts.tags)
end

function deliver.mp3(master, stem, opts)
  local s = settings("mp3", opts)
  local ceiling = s.ceiling_dbtp - s.margin_db
  local rate = s.rate or rate_under(format(master).rate, s.max_rate)
  local x
  if s.mode == "target" then -- at the output rate, so the limiter sees the peaks written
    x = reach(at_rate(master, rate), s, ceiling)
  else
    x = capped(master, s.max_lufs):limit{ceiling_dbtp = ceiling}
    if rate ~= format(x).rate then
      x = at_rate(x, rate):limit{ceiling_dbtp = ceiling} -- SRC can make new inter-sample peaks
    end
  end
  return write(x, stem, "mp3", s, opts and opts.tags, "promo")
end

-- Every deliverable named in a comma list ("streaming,cd,vinyl,hires").
function deliver.all(master, stem, list, opts)
  if opts then check_keys(opts, {"cd", "hires", "mp3", "streaming", "vinyl"}, "deliver.all") end
  for name in string.gmatch(list or "streaming,cd,vinyl,hires", "[^,%s]+") do
    if not deliver[name] or not deliver.profiles[name] then
      error("deliver: unknown deliverable '" .. name .. "' (streaming, cd, vinyl, hires, mp3)", 2)
    end
    deliver[name](master, stem, opts and opts[name])
  end
end

return deliver
