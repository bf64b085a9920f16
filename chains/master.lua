-- master.lua: the stock chain of `lathe master`, an ordinary script you can copy and change.
--
--   lathe master mix.wav -o out/            runs it with -D input=mix.wav -D stem=mix
--   lathe render chains/master.lua -D input=mix.wav -D stem=mix -o out/   does the same
--
-- The shared part runs once for every deliverable: by default only a gentle 20 Hz high-pass
-- (sub-sonics), because a finished mix needs nothing else unless the engineer asks:
--   -D tilt_db=1            tilt EQ around 1 kHz (positive: brighter)
--   -D low_shelf_db=-1      low shelf at 100 Hz (low_shelf_hz to move it)
--   -D compress_ratio=1.5   gentle bus compression (compress_threshold_db, default -18)
--   -D width=1.1            stereo width (1: unchanged)
-- Then deliver.lua branches it into the release formats (-D deliver=streaming,cd,vinyl,hires),
-- each with its profile; -D cd.ceiling_dbtp=-1 (any profile.key) overrides a default.
--
-- One loudness decision: -D target=-14 (lathe master --target) is reached by streaming, CD and
-- hi-res, each by the loudness node under its own true-peak ceiling, limiting peaks at most
-- its max_gr_db (the budget; past it the render fails). Vinyl keeps its own rules (no limiter,
-- only turned down). -D keep_level=true (lathe master --keep-level) leaves the mix's level as
-- it is: only turned down where a profile caps it, limiters catching what is over a ceiling.
local deliver = require("deliver")

local mix = source(param("input", "mix.wav"))
local stem = param("stem", "mix")
local master = mix

local hp = param("highpass_hz", 20)
local low_shelf = param("low_shelf_db", 0)
local tilt = param("tilt_db", 0)
local bands = {}
if hp > 0 then bands[#bands + 1] = {type = "highpass", freq_hz = hp, slope_db_oct = 12} end
if low_shelf ~= 0 then
  bands[#bands + 1] = {type = "lowshelf", freq_hz = param("low_shelf_hz", 100), gain_db = low_shelf}
end
if tilt ~= 0 then bands[#bands + 1] = {type = "tilt", freq_hz = 1000, gain_db = tilt} end
if #bands > 0 then master = master:eq(bands) end

local ratio = param("compress_ratio", 1)
if ratio > 1 then
  master = master:compress{threshold_db = param("compress_threshold_db", -18), ratio = ratio,
                           attack_ms = 30, release_ms = 200, knee_db = 6}
end
local width = param("width", 1)
if width ~= 1 then master = master:stereo{width = width} end

local target = param("target", -14)
local per_deliverable = nil
if not param("keep_level", false) then
  local reach = {mode = "target", target_lufs = target}
  per_deliverable = {streaming = reach, cd = reach, hires = reach, mp3 = reach}
end
deliver.all(master, stem, param("deliver", "streaming,cd,vinyl,hires"), per_deliverable)
