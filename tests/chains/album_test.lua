-- album_test.lua - chains/album.lua's pure parts as a script sees them: ISRC and UPC/EAN
-- normalised or refused with the reason, the timeline planned on CD sectors (gaps, pregaps,
-- crossfades), and album fields refused before anything is built (control characters, both a
-- gap and a crossfade, too many tracks). Run by ctest as `lathe graph`.
local check = require("check")
local album = require("album")

check.eq(album.normalize_isrc("us-rc1-76-07839"), "USRC17607839", "ISRC with hyphens, lower case")
check.eq(album.normalize_isrc("ISRC GB ABC 12 34567"), "GBABC1234567", "ISRC with its label")
local none, why = album.normalize_isrc("US-RC1-76-0783")
check.ok(none == nil and why:find("11 characters, expected 12", 1, true), "short ISRC: " .. tostring(why))
none, why = album.normalize_isrc("U1-RC1-76-07839")
check.ok(none == nil and why:find("not CC-XXX-YY-NNNNN", 1, true), "ISRC country: " .. tostring(why))

check.eq(album.normalize_ean("036000291452"), "0036000291452", "UPC-A becomes EAN-13")
check.eq(album.normalize_ean("4006381333931"), "4006381333931", "EAN-13 kept")
none, why = album.normalize_ean("4006381333932")
check.ok(none == nil and why:find("check digit 2 is wrong (expected 1)", 1, true),
         "EAN check digit: " .. tostring(why))

-- CD timeline at 44.1 kHz: 2 s lead-in, a 2 s gap, a 1 s crossfade; sectors of 588 frames.
local r = 44100
local p = album.plan({{}, {gap_s = 2}, {crossfade_s = 1}}, {10 * r, 5 * r + 100, 8 * r}, r, 2 * r)
check.eq(p.sector, 588, "CD sector")
check.eq(p.start[1], 88200, "track 1 after the 2 s lead-in (whole sectors)")
local end1 = p.start[1] + 10 * r
check.ok(p.start[2] % 588 == 0 and math.abs(p.start[2] - (end1 + 2 * r)) <= 294,
         "track 2 two seconds later, on a sector: " .. p.start[2])
check.ok(p.idx0[2] and p.idx0[2] % 588 == 0 and p.idx0[2] >= end1, "track 2's pregap on a sector")
local end2 = p.start[2] + 5 * r + 100
check.ok(p.start[3] % 588 == 0 and p.xfade[3] == end2 - p.start[3]
         and math.abs(p.xfade[3] - r) <= 588, "track 3 crossfades about 1 s: " .. tostring(p.xfade[3]))
check.ok(p.fout[2] >= p.xfade[3] and p.fin[3] >= p.xfade[3], "the crossfade fades both sides")
check.eq(p.last, p.start[3] + 8 * r, "the timeline ends with track 3")
check.fails("crossfade_s is longer than the previous track", "crossfade too long",
            album.plan, {{}, {crossfade_s = 20}}, {r, r}, r, 0)

-- Refused before anything is built.
check.fails("control characters (newline, tab, ...) are not allowed", "newline in a title",
            album.album, {title = "A\nFILE \"x.wav\" WAVE", tracks = {{file = "a.wav"}}})
check.fails("give gap_s or crossfade_s, not both", "gap and crossfade",
            album.album, {title = "A", tracks = {{file = "a.wav"}, {file = "b.wav", gap_s = 1, crossfade_s = 1}}})
local many = {}
for i = 1, 100 do many[i] = {file = "t" .. i .. ".wav"} end
check.fails("100 tracks: Red Book allows at most 99", "100 tracks", album.album, {title = "A", tracks = many})
check.fails("UPC/EAN '12345' must be 12 (UPC-A) or 13 (EAN-13) digits", "bad UPC",
            album.album, {title = "A", upc = "12345", tracks = {{file = "a.wav"}}})
