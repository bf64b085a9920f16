-- deliver_test.lua - chains/deliver.lua as a script sees it: the checked numbers come from the
-- C profile table, a deliverable string carries exactly the values that differ, each branch
-- ends where its spec wants it (rate, last node), bad options fail with "did you mean".
-- Run by ctest as `lathe graph tests/chains/deliver_test.lua`.
local check = require("check")
local deliver = require("deliver")

-- One table: every checked value of every profile is the C table's.
for name, c in pairs(spec_profiles) do
  check.ok(deliver.profiles[name], "a chain profile for the C profile " .. name)
  for k, v in pairs(c) do
    if k ~= "format" then check.eq(deliver.profiles[name][k], v, name .. "." .. k) end
  end
end
check.eq(deliver.profiles.cd.ceiling_dbtp, -0.3, "cd ceiling")
check.eq(deliver.profiles.vinyl.lf_hz, spec_profiles.vinyl.lf_hz, "vinyl: chain and check share lf_hz")
check.eq(table.concat(deliver.checked.vinyl, ","),
         "bits,ceiling_dbtp,lf_corr_min,lf_hz,max_lufs,max_rate,min_lufs,min_rate,side_max_s,"
         .. "side_recommended_s", "vinyl's checked keys, sorted")

-- Every key a user can set is documented (`lathe help deliver` prints them).
for name, p in pairs(deliver.profiles) do
  for k in pairs(p) do check.ok(deliver.about[k], "deliver.about explains " .. name .. "." .. k) end
end

-- The deliverable string: the name alone, or the checked values that differ.
check.eq(deliver.spec("cd", deliver.profiles.cd), "cd", "stock cd")
local s = {}
for k, v in pairs(deliver.profiles.cd) do s[k] = v end
s.ceiling_dbtp, s.margin_db = -1, 0.5 -- margin_db is the chain's own: not in the string
check.eq(deliver.spec("cd", s), "cd:ceiling_dbtp=-1", "cd with another ceiling")
local hi = {}
for k, v in pairs(deliver.profiles.streaming) do hi[k] = v end
hi.rate = 96000
check.eq(deliver.spec("streaming", hi), "streaming:max_rate=96000", "streaming kept at 96 kHz")

-- Each branch ends at its rate and with its last node.
local m96 = sine{rate = 96000, duration_s = 1, channels = 2}
local function kind(node) return tostring(node):match("%((%w+)%)") end
local cd = deliver.cd(m96, "t")
check.eq(format(cd).rate, 44100, "cd rate")
check.eq(kind(cd), "dither", "cd: dither once, last")
local st = deliver.streaming(m96, "t")
check.eq(format(st).rate, 48000, "streaming: 96 kHz comes down to 48 kHz (the same family)")
check.eq(kind(st), "limit", "streaming: a limiter after the rate change")
local vi = deliver.vinyl(sine{rate = 192000, duration_s = 1, channels = 2}, "t")
check.eq(format(vi).rate, 96000, "vinyl: 192 kHz comes down to 96 kHz")
check.eq(kind(vi), "cap", "vinyl: a linear turn-down last, no limiter")
check.eq(format(deliver.hires(m96, "t")).rate, 96000, "hires keeps the mix's rate")
check.eq(format(deliver.cd(sine{rate = 44100, duration_s = 1, channels = 2}, "u",
                           {mode = "target"})).rate, 44100, "cd target mode at 44.1 kHz")

-- Bad options: one line, what was wrong, what was meant.
check.fails("unknown key 'ceilng_dbtp' (did you mean 'ceiling_dbtp'?)", "misspelt key",
            deliver.cd, m96, "bad1", {ceilng_dbtp = -1})
check.fails('mode must be "cap" or "target", got "loud"', "bad mode",
            deliver.streaming, m96, "bad2", {mode = "loud"})
check.fails("unknown deliverable 'dvd'", "unknown deliverable", deliver.all, m96, "all", "cd,dvd")
