-- A short synthesized "song" for the demo: pink-noise hats and a kick from envelopes are out of
-- reach of the stock nodes, so this is a simple bed: bass, a chord and noise, with a fade.
local seconds = param("seconds", 8)
local bass  = sine{freq_hz = param("root_hz", 55), duration_s = seconds, amplitude_db = -14}
local fifth = sine{freq_hz = param("root_hz", 55) * 3, duration_s = seconds, amplitude_db = -22}
local third = sine{freq_hz = param("root_hz", 55) * 5, duration_s = seconds, amplitude_db = -24}
local air   = noise{color = "pink", duration_s = seconds, amplitude_db = -30, seed = param("seed", 1)}
local mixdown = mix(bass, fifth, third, air):fade{in_ms = 50, out_ms = 1500, curve = "equal_power"}
output(mixdown, param("name", "song") .. ".wav", {bits = 24})
