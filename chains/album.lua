-- album.lua: album assembly. A script does
--
--   local album = require("album")
--   album { title = "Night Drive", artist = "...", upc = "5012345678900", date = "2025",
--           tracks = { { file = "01.wav", title = "...", isrc = "GBAAA2500001", gain_db = 0 },
--                      { file = "02.wav", title = "...", gap_s = 2.0, crossfade_s = 0 }, ... },
--           loudness = "album",   -- "album" (one gain, loudest track at target), "track", "none"
--           vinyl = { speed = 33, sides = { {1, 2}, {3} } } }
--
-- and `lathe render album.lua -o DIR` writes under DIR:
--   cd/<stem>.wav + cd/<stem>.cue      one 44.1 kHz/16-bit image and its CUE sheet
--   ddp/DDPID DDPMS PQDESCR IMAGE.DAT   DDP 2.00 fileset of the same image
--   ddp/CHECKSUM.MD5                    md5sum line of IMAGE.DAT (`md5sum -c` verifies it)
--   streaming/NN <title>.flac           one 24-bit FLAC per track at the album rate, tagged
--                                       TITLE ARTIST ALBUM TRACKNUMBER DATE ISRC
--   vinyl/<stem>_<side>.wav + .txt      one file per side with its gaps, and its side sheet
--   <stem>.report.txt                   the sequencing plan and its checks
--
-- Timeline rules (specs.md section 2.2): every track starts on a CD sector (rate/75 frames:
-- 588 at 44.1 kHz, exact at every standard rate), so the CUE/PQ indexes are exact and a track
-- cut at its INDEX 01 is the track's samples. gap_s is silence after the previous track; the
-- next start is rounded to the nearest sector (never earlier than the previous end), so the gap
-- is digital silence of the planned length (a gap of 0 still lands on the next sector, at most
-- 13 ms: use crossfade_s for a seamless join). crossfade_s overlaps the next track's start with
-- the previous track's end: the start is snapped first, then both fades are rendered over the
-- snapped overlap (equal_gain or equal_power, `crossfade_curve`). The sequence node applies the
-- gains, fades and placement in one barrier (nodes/sequence.c).
local M = {}

local REDBOOK_MAX_S, REDBOOK_WARN_S = 79 * 60 + 57, 74 * 60 + 30
local VINYL_SIDE = {  -- recommended / practical maximum per side in seconds (specs.md 3.1)
  [12] = { [33] = {19 * 60 + 30, 23 * 60}, [45] = {14 * 60 + 30, 18 * 60} },
  [10] = { [33] = {13 * 60 + 30, 15 * 60}, [45] = {10 * 60, 12 * 60} },
  [7] = { [33] = {6 * 60 + 40, 7 * 60}, [45] = {5 * 60, 6 * 60} },
}

local function fail(msg) error("album: " .. msg, 0) end

local function tname(i, t)
  return string.format("track %d%s", i, t.title and (" '" .. t.title .. "'") or "")
end

-- ISRC: 12 characters, CC + 3 alphanumerics + 2-digit year + 5 digits (specs.md 2.3). Hyphens,
-- spaces and an "ISRC" label are not part of the code; lower case reads as upper case.
function M.normalize_isrc(s)
  local c = s:upper():gsub("^ISRC", ""):gsub("[-%s]", "")
  if #c ~= 12 then return nil, string.format("ISRC '%s' has %d characters, expected 12", s, #c) end
  if not c:match("^%u%u[%u%d][%u%d][%u%d]%d%d%d%d%d%d%d$") then
    return nil, string.format("ISRC '%s' is not CC-XXX-YY-NNNNN (2 letters, 3 letters/digits, "
                              .. "7 digits)", s)
  end
  return c
end

-- UPC-A (12 digits) or EAN-13 with its check digit: sum of d_i * (1, 3, 1, 3, ...) = 0 mod 10.
function M.normalize_ean(s)
  local c = tostring(s):gsub("[-%s]", "")
  if not c:match("^%d+$") or (#c ~= 12 and #c ~= 13) then
    return nil, string.format("UPC/EAN '%s' must be 12 (UPC-A) or 13 (EAN-13) digits", s)
  end
  if #c == 12 then c = "0" .. c end
  local sum = 0
  for i = 1, 13 do sum = sum + tonumber(c:sub(i, i)) * (i % 2 == 1 and 1 or 3) end
  if sum % 10 ~= 0 then
    local s12 = sum - tonumber(c:sub(13))
    return nil, string.format("UPC/EAN '%s': check digit %s is wrong (expected %d)", s,
                              c:sub(13), (10 - s12 % 10) % 10)
  end
  return c
end

local function msf(frames, rate)  -- sector time MM:SS:FF (75 per second)
  local sec = frames * 75 // rate
  return string.format("%02d:%02d:%02d", sec // 4500, sec // 75 % 60, sec % 75)
end

local function clock(frames, rate)  -- MM:SS.mmm for side sheets and the report
  local ms = (frames * 1000 + rate // 2) // rate
  return string.format("%02d:%02d.%03d", ms // 60000, ms // 1000 % 60, ms % 1000)
end

-- Plans one timeline at `rate` from the track lengths there. Returns per-track start (= marker),
-- optional pregap start (INDEX 00), fade lengths and the end. `lead` is the silence before the
-- first track (the CD's >= 2 s pregap; 0 elsewhere). Positions are in frames.
function M.plan(tracks, lens, rate, lead, xcurve)
  local sector = rate % 75 == 0 and rate // 75 or 1
  local function snap(x) return (x + sector // 2) // sector * sector end
  local function ceil_sector(x) return (x + sector - 1) // sector * sector end
  local p = { rate = rate, sector = sector, start = {}, idx0 = {}, fin = {}, fout = {},
              gap = {}, xfade = {}, curve = xcurve }
  for i, t in ipairs(tracks) do
    p.fin[i] = math.floor((t.fade_in_ms or 0) * rate / 1000 + 0.5)
    p.fout[i] = math.floor((t.fade_out_ms or 0) * rate / 1000 + 0.5)
    if i == 1 then
      p.start[1] = ceil_sector(lead)
      p.idx0[1] = p.start[1] > 0 and 0 or nil
    else
      local prev_end = p.start[i - 1] + lens[i - 1]
      local xf = math.floor((t.crossfade_s or 0) * rate + 0.5)
      if xf > 0 then
        local s = snap(prev_end - xf)
        if s >= prev_end then s = s - sector end
        if s <= p.start[i - 1] then fail(tname(i, t) .. ": crossfade_s is longer than the "
                                         .. "previous track") end
        p.start[i], p.xfade[i] = s, prev_end - s
        p.fout[i - 1] = math.max(p.fout[i - 1], p.xfade[i])
        p.fin[i] = math.max(p.fin[i], p.xfade[i])
        if p.xfade[i] > lens[i] then fail(tname(i, t) .. ": shorter than its crossfade") end
      else
        local s = snap(prev_end + math.floor((t.gap_s or 0) * rate + 0.5))
        if s < prev_end then s = ceil_sector(prev_end) end
        p.start[i], p.gap[i] = s, s - prev_end
        local i0 = ceil_sector(prev_end)
        if i0 < s then p.idx0[i] = i0 end  -- the pregap is whole sectors of silence
      end
    end
  end
  p.last = p.start[#tracks] + lens[#tracks]
  p.lens = lens
  return p
end

local function validate(a)
  if type(a) ~= "table" or type(a.tracks) ~= "table" or #a.tracks == 0 then
    fail("expects { title = ..., tracks = { {file = ...}, ... } }")
  end
  check_keys(a, "album", "album")  -- the fields of `lathe help album`: a misspelt one is an error
  if a.vinyl then check_keys(a.vinyl, "album.vinyl", "album: vinyl") end
  if #a.tracks > 99 then
    fail(string.format("%d tracks: Red Book allows at most 99", #a.tracks))
  end
  -- Text fields go into CUE sheets, DDP text and side sheets line by line: a newline or other
  -- control character would start a line of its own (an extra FILE or TRACK).
  local function one_line(t, what)
    for k, v in pairs(t) do
      if type(v) == "string" and k ~= "file" and v:find("%c") then
        fail(string.format("%s%s: control characters (newline, tab, ...) are not allowed", what, k))
      end
    end
  end
  one_line(a, "")
  for i, t in ipairs(a.tracks) do
    if type(t) == "table" then one_line(t, tname(i, {}) .. ": ") end
  end
  if a.upc then
    local c, why = M.normalize_ean(a.upc)
    if not c then fail(why) end
    a.upc = c
  end
  for i, t in ipairs(a.tracks) do
    if type(t) ~= "table" or (type(t.file) ~= "string" and not t.node) then
      fail(tname(i, {}) .. ": needs file (or node)")
    end
    check_keys(t, "album.track", "album: " .. tname(i, t))
    if t.isrc then
      local c, why = M.normalize_isrc(t.isrc)
      if not c then fail(tname(i, t) .. ": " .. why) end
      t.isrc = c
    end
    for _, k in ipairs({"gap_s", "crossfade_s", "fade_in_ms", "fade_out_ms"}) do
      if t[k] and (type(t[k]) ~= "number" or t[k] < 0) then
        fail(tname(i, t) .. ": " .. k .. " must be a number >= 0")
      end
    end
    if (t.gap_s or 0) > 0 and (t.crossfade_s or 0) > 0 then
      fail(tname(i, t) .. ": give gap_s or crossfade_s, not both")
    end
  end
  local mode = a.loudness or "album"
  if mode ~= "album" and mode ~= "track" and mode ~= "none" then
    fail("loudness must be \"album\", \"track\" or \"none\", got " .. tostring(mode))
  end
  a.loudness = mode
end

-- Every track through its chain at the album rate (the highest track rate; others resampled).
local function prepare_tracks(a, notes)
  local nodes, rate = {}, 0
  for i, t in ipairs(a.tracks) do
    nodes[i] = t.node or source(t.file)  -- a node: a track built in the script itself
    rate = math.max(rate, format(nodes[i]).rate)
  end
  rate = a.rate or rate
  local default_chain = function(x) return x:eq{{type = "highpass", freq_hz = 20, slope_db_oct = 12}} end
  for i, t in ipairs(a.tracks) do
    local f = format(nodes[i])
    if f.rate ~= rate then
      notes[#notes + 1] = string.format("note: %s is %d Hz, resampled to the album rate %d Hz",
                                        tname(i, t), f.rate, rate)
      nodes[i] = nodes[i]:resample{rate = rate}
    end
    if f.channels == 1 then
      nodes[i] = nodes[i]:channels{mode = "duplicate", out_channels = 2}
    elseif f.channels ~= 2 then
      fail(string.format("%s has %d channels: an album is stereo", tname(i, t), f.channels))
    end
    local chain = t.chain or a.chain or default_chain
    nodes[i] = chain(nodes[i])
  end
  return nodes, rate
end

local function lengths(nodes)
  local lens = {}
  for i, n in ipairs(nodes) do lens[i] = format(n).frames end
  return lens
end

-- One sequence node over all tracks (so album loudness is anchored on the whole album) that
-- places only the tracks in `only` (default all) at plan positions.
local function sequenced(a, nodes, p, dither, length, only)
  local starts, fin, fout, gains = {}, {}, {}, {}
  local placed = {}
  for _, i in ipairs(only or {}) do placed[i] = true end
  for i, t in ipairs(a.tracks) do
    starts[i] = (only == nil or placed[i]) and p.start[i] or -1
    fin[i], fout[i], gains[i] = p.fin[i], p.fout[i], t.gain_db or 0
  end
  local args = { starts_frames = starts, fade_in_frames = fin, fade_out_frames = fout,
                 gains_db = gains, curve = a.crossfade_curve or "equal_gain",
                 loudness = a.loudness, target_lufs = a.target_lufs or -14,
                 dither_bits = dither, length_frames = length or 0 }
  for i, n in ipairs(nodes) do args[i] = n end
  return sequence(args)
end

local function q(s) return '"' .. tostring(s):gsub('"', "'") .. '"' end

local function cue_text(a, p, image)
  local L = {}
  if a.upc then L[#L + 1] = "CATALOG " .. a.upc end
  if a.date then L[#L + 1] = "REM DATE " .. a.date end
  if a.artist then L[#L + 1] = "PERFORMER " .. q(a.artist) end
  if a.title then L[#L + 1] = "TITLE " .. q(a.title) end
  L[#L + 1] = "FILE " .. q(image) .. " WAVE"
  for i, t in ipairs(a.tracks) do
    L[#L + 1] = string.format("  TRACK %02d AUDIO", i)
    if t.title then L[#L + 1] = "    TITLE " .. q(t.title) end
    if t.artist or a.artist then L[#L + 1] = "    PERFORMER " .. q(t.artist or a.artist) end
    if t.isrc then L[#L + 1] = "    ISRC " .. t.isrc end
    if p.idx0[i] then L[#L + 1] = "    INDEX 00 " .. msf(p.idx0[i], p.rate) end
    L[#L + 1] = "    INDEX 01 " .. msf(p.start[i], p.rate)
  end
  return table.concat(L, "\r\n") .. "\r\n"
end

local function check_redbook(a, p, notes)
  local r = p.rate
  for i, t in ipairs(a.tracks) do
    local stop = a.tracks[i + 1] and (p.idx0[i + 1] or p.start[i + 1]) or p.last
    if p.lens[i] < 4 * r then
      fail(string.format("%s is %.2f s: Red Book requires every track >= 4 s", tname(i, t),
                         p.lens[i] / r))
    end
    if stop - p.start[i] < 4 * r then
      fail(string.format("%s: %.2f s from its INDEX 01 to the next index, Red Book requires >= 4 s",
                         tname(i, t), (stop - p.start[i]) / r))
    end
  end
  local total = p.total / r
  if total > REDBOOK_MAX_S then
    fail(string.format("the CD is %s: over the 79:57 Red Book maximum", clock(p.total, r)))
  elseif total > REDBOOK_WARN_S then
    notes[#notes + 1] = string.format("warning: the CD is %s, past 74:30 (the Red Book nominal "
                                      .. "maximum): check with the plant", clock(p.total, r))
  end
end

-- DDP 2.00 (specs.md 2.6): fixed-width ASCII records, space padded, no line ends.
local function field(v, n, right)
  v = tostring(v or "")
  if #v > n then v = v:sub(1, n) end
  return right and string.rep(" ", n - #v) .. v or v .. string.rep(" ", n - #v)
end

local function ddp_ms(dst, dsl, sub, dsi, audio)
  return "VVVM" .. dst .. field("", 8) .. field(dsl, 8, true) .. field(audio and "0" or "", 8, true)
    .. field(sub, 8) .. field(audio and "DA" or "", 2) .. field(audio and "7" or "", 1)
    .. field(audio and "0" or "", 1) .. field("", 4) .. field(audio and audio.pre2 or "", 4, true)
    .. field("", 4) .. field("", 1) .. field("", 2) .. field("", 2) .. field("", 12)
    .. " 17" .. field(dsi, 17) .. field("", 1) .. field("", 4) .. field("", 8) .. field("", 9)
    .. field("", 15)
end

local function pq(trk, idx, frames, isrc, upc)
  local a = msf(frames, 44100):gsub(":", "")
  return "VVVS" .. trk .. idx .. field(a, 8, true) .. "01" .. field("", 2) .. field(isrc, 12)
    .. field(upc, 13) .. field("", 19)
end

local function ddp_files(a, p)
  local P = { pq("00", "00", 0, nil, a.upc) }
  for i, t in ipairs(a.tracks) do
    local first = true
    local function add(idx, at)
      P[#P + 1] = pq(string.format("%02d", i), idx, at, first and t.isrc or nil, nil)
      first = false
    end
    if p.idx0[i] then add("00", p.idx0[i]) end
    add("01", p.start[i])
  end
  P[#P + 1] = pq("AA", "01", p.total, nil, nil)
  P[#P + 1] = P[#P]  -- the lead-out twice, as every studied writer does
  local pqs = table.concat(P)
  local id = "DDP 2.00" .. field(a.upc, 13) .. field("", 8) .. field("", 8) .. field("", 1)
    .. field(a.master_id or a.title, 48) .. field("", 1) .. "CD" .. field("", 4) .. field("", 2)
    .. field("", 33)
  local ms = ddp_ms("S0", #pqs, "PQ DESCR", "PQDESCR")
    .. ddp_ms("D0", p.total // 588, "", "IMAGE.DAT", { pre2 = p.start[1] // 588 })
  return id, ms, pqs
end

local function side_name(k) return string.char(64 + k) end

local function vinyl(a, nodes, p, stem, notes)
  local v = a.vinyl
  local size, speed = v.size or 12, v.speed or 33
  local limits = VINYL_SIDE[size] and VINYL_SIDE[size][speed]
  if not limits then fail(string.format("vinyl: no side length rule for %d\" at %s rpm", size, speed)) end
  local seen = {}
  for k, side in ipairs(v.sides or {}) do
    local sp = { rate = p.rate, start = {}, fin = {}, fout = {}, lens = p.lens }
    -- A side starts at 0; the tracks keep their gaps (and crossfades) relative to each other.
    local origin = p.start[side[1]]
    local prev
    local L = { string.format("side %s (%d\" %s rpm)", side_name(k), size, speed),
                "track  start      end        title" }
    for _, i in ipairs(side) do
      if not a.tracks[i] then fail(string.format("vinyl: side %s names track %s, which does not "
                                                 .. "exist", side_name(k), tostring(i))) end
      if seen[i] then fail(string.format("vinyl: track %d is on two sides", i)) end
      if prev and i ~= prev + 1 then fail(string.format("vinyl: side %s is not in album order "
                                                        .. "(track %d after %d)", side_name(k), i, prev)) end
      seen[i], prev = true, i
      sp.start[i] = p.start[i] - origin
      L[#L + 1] = string.format("%5d  %s  %s  %s", i, clock(sp.start[i], p.rate),
                                clock(sp.start[i] + p.lens[i], p.rate), a.tracks[i].title or "")
    end
    for i in ipairs(a.tracks) do sp.fin[i], sp.fout[i] = p.fin[i], p.fout[i] end
    -- The last track of a side ends the side: no crossfade into the next side.
    if a.tracks[prev + 1] and p.xfade[prev + 1] then
      notes[#notes + 1] = string.format("note: the crossfade into track %d is cut at the end of "
                                        .. "side %s", prev + 1, side_name(k))
      sp.fout[prev] = math.floor((a.tracks[prev].fade_out_ms or 0) * p.rate / 1000 + 0.5)
    end
    if p.xfade[side[1]] then  -- crossfaded from the previous side: only its own fade-in
      sp.fin[side[1]] = math.floor((a.tracks[side[1]].fade_in_ms or 0) * p.rate / 1000 + 0.5)
    end
    local len = sp.start[prev] + p.lens[prev]
    local secs = len / p.rate
    L[#L + 1] = string.format("length %s (recommended <= %s, practical max %s)", clock(len, p.rate),
                              clock(limits[1] * p.rate, p.rate), clock(limits[2] * p.rate, p.rate))
    if secs > limits[2] then
      notes[#notes + 1] = string.format("warning: vinyl side %s is %s, over the %s practical "
        .. "maximum for %d\" %s rpm", side_name(k), clock(len, p.rate),
        clock(limits[2] * p.rate, p.rate), size, speed)
    elseif secs > limits[1] then
      notes[#notes + 1] = string.format("warning: vinyl side %s is %s, over the recommended %s "
        .. "for %d\" %s rpm: expect a lower cut level", side_name(k), clock(len, p.rate),
        clock(limits[1] * p.rate, p.rate), size, speed)
    end
    local name = string.format("vinyl/%s_%s", stem, side_name(k))
    local x = sequenced(a, nodes, sp, 24, nil, side)
    output(x, name .. ".wav", { bits = 24, deliverable = "vinyl" })
    output_text(name .. ".txt", table.concat(L, "\n") .. "\n")
  end
end

local function safe(s) return (tostring(s):gsub("[^%w%-_ ]", "_")) end

local function streaming(a, seq, p)
  local n = #a.tracks
  for i, t in ipairs(a.tracks) do
    -- Each file runs from its marker to the next one: gaps close the previous track and a
    -- crossfade's overlap opens the next, so gapless playback reproduces the album.
    local from, to = p.start[i], i < n and p.start[i + 1] or p.last
    local x = seq:trim{start_frames = from, end_frames = to}
    local tags = { title = t.title, artist = t.artist or a.artist, album = a.title,
                   tracknumber = tostring(i), date = a.date, isrc = t.isrc }
    output(x, string.format("streaming/%02d %s.flac", i, safe(t.title or "track")),
           { bits = 24, deliverable = "streaming", tags = tags })
  end
end

local function report(a, p, cd, notes)
  local L = { string.format("album: %s - %s", a.artist or "", a.title or ""),
              string.format("loudness: %s%s", a.loudness, a.loudness == "none" and ""
                            or string.format(" (target %.1f LUFS)", a.target_lufs or -14)),
              string.format("fades/crossfades: %s", a.crossfade_curve or "equal_gain"), "",
              "track  start(CD)  length     gap/xfade    gain_db  title" }
  for i, t in ipairs(a.tracks) do
    local rel = p.xfade[i] and string.format("xfade %.3fs", p.xfade[i] / p.rate)
                or p.gap[i] and string.format("gap %.3fs", p.gap[i] / p.rate) or "-"
    L[#L + 1] = string.format("%5d  %s   %s  %-12s %+7.2f  %s", i, msf(cd.start[i], cd.rate),
                              clock(p.lens[i], p.rate), rel, t.gain_db or 0, t.title or "")
  end
  L[#L + 1] = string.format("CD length %s (%d sectors)", clock(cd.total, cd.rate), cd.total // 588)
  L[#L + 1] = "measured loudness and the gains applied: `lathe render --json`, node 'sequence'"
  for _, n in ipairs(notes) do L[#L + 1] = n end
  return table.concat(L, "\n") .. "\n"
end

-- album{...}: validates, plans and wires every deliverable. Returns the sequenced nodes.
function M.album(a)
  validate(a)
  local notes = {}
  local stem = a.stem or safe(a.title or "album"):gsub(" ", "_")
  local nodes, rate = prepare_tracks(a, notes)
  local xcurve = a.crossfade_curve
  local p = M.plan(a.tracks, lengths(nodes), rate, 0, xcurve)
  -- The CD at 44.1 kHz: the same tracks resampled before sequencing, so positions are exact
  -- in CD frames. Track 1's pregap is at least 2 s (150 sectors) of digital silence.
  local cdnodes = nodes
  if rate ~= 44100 then
    cdnodes = {}
    for i, n in ipairs(nodes) do cdnodes[i] = n:resample{rate = 44100} end
  end
  local lead = math.max(2 * 44100, math.floor((a.tracks[1].gap_s or 0) * 44100 + 0.5))
  local cd = M.plan(a.tracks, lengths(cdnodes), 44100, lead, xcurve)
  cd.total = (cd.last + 587) // 588 * 588  -- whole sectors; the last one padded with silence
  local want = {}
  for _, d in ipairs(a.deliver or {"cd", "ddp", "streaming", "vinyl"}) do want[d] = true end
  if want.cd or want.ddp then check_redbook(a, cd, notes) end
  local dither = a.dither == false and 0 or 16
  local cdseq = sequenced(a, cdnodes, cd, dither, cd.total)
  if want.cd then
    output(cdseq, "cd/" .. stem .. ".wav", { bits = 16, deliverable = "cd" })
    output_text("cd/" .. stem .. ".cue", cue_text(a, cd, stem .. ".wav"))
  end
  if want.ddp then
    local id, ms, pqs = ddp_files(a, cd)
    -- CHECKSUM.MD5 (md5sum format, specs.md 2.6): not part of DDP, but what plants verify.
    -- "ddp" is no spec profile: these samples are the CD image's, which is checked as "cd".
    output(cdseq, "ddp/IMAGE.DAT", { bits = 16, deliverable = "ddp", md5 = "ddp/CHECKSUM.MD5" })
    output_text("ddp/DDPID", id)
    output_text("ddp/DDPMS", ms)
    output_text("ddp/PQDESCR", pqs)
  end
  local seq = sequenced(a, nodes, p, 24)
  if want.streaming then streaming(a, seq, p) end
  if want.vinyl and a.vinyl then vinyl(a, nodes, p, stem, notes) end
  for _, n in ipairs(notes) do
    if a.strict and n:match("^warning") then fail(n) end  -- strict: a warning stops the render
    warn(n)
  end
  output_text(stem .. ".report.txt", report(a, p, cd, notes))
  return { cd = cdseq, album = seq, plan = p, cd_plan = cd, notes = notes }
end

setmetatable(M, { __call = function(_, a) return M.album(a) end })
album = M  -- scripts may also call the global album{...} after require("album")
return M
