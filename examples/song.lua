-- A little synthesized song for the demo (8 s: four bars at 120 BPM). Two quiet bars of hats and
-- chords, then two loud bars with kick, snare and bass: real dynamics and a stereo picture.
--   lathe render examples/song.lua -o mixes -D name=01 -D root_hz=55 -D seed=1
local p = require("pattern")
local root = param("root_hz", 55)
local seed = param("seed", 1)
local beat = 60 / param("bpm", 120)
local bar = 4 * beat

-- Drums from envelopes: a falling sweep for the kick, noise bursts for snare and hats.
local kick = sweep{start_hz = 150, end_hz = 45, duration_s = 0.2, amplitude_db = -11}
  :fade{in_ms = 1, out_ms = 190, curve = "log"}
local snare = mix(noise{duration_s = 0.16, amplitude_db = -14, seed = seed},
                  sine{freq_hz = 185, duration_s = 0.16, amplitude_db = -12})
  :fade{in_ms = 1, out_ms = 150, curve = "log"}
local hat = noise{duration_s = 0.05, amplitude_db = -20, seed = seed + 10}
  :eq{ {type = "highpass", freq_hz = 7000} }
  :fade{in_ms = 0.5, out_ms = 45, curve = "log"}
  :stereo{balance_db = -3} -- a little to the right

local hats = p.loop(p.at(hat, {0, beat / 2, beat, 1.5 * beat, 2 * beat, 2.5 * beat, 3 * beat,
                               3.5 * beat}), bar, 4)
local kicks = p.loop(p.at(kick, {0, 1.5 * beat, 2 * beat}), bar, 2)
local snares = p.loop(p.at(snare, {beat, 3 * beat}), bar, 2)

-- Bass and chords from sines: root, minor third, fifth; the bass follows the kick.
local bass = p.at(sine{freq_hz = root, duration_s = 0.45, amplitude_db = -16}
                    :fade{in_ms = 5, out_ms = 300}, {0, 1.5 * beat, 2 * beat})
local chords = mix(p.chord({root * 4, root * 4 * 1.2, root * 6}, bar, -19),
                   p.chord({root * 4 * 4 / 3, root * 4 * 1.6, root * 8}, bar, -19)
                     :delay{delay_ms = bar * 1000})

-- Arrangement: intro (bars 1-2) quiet, chorus (bars 3-4) with the rhythm section, louder chords.
local intro = mix(hats:trim{end_s = 2 * bar}, chords, {gains_db = {-6, -4}})
local chorus = mix(kicks, snares, p.loop(bass, bar, 2), hats:trim{start_s = 2 * bar},
                   chords:gain{gain_db = 2})
  :pad{head_s = 2 * bar}
local song = mix(intro, chorus):pad{tail_s = 0.5}:trim{end_s = 4 * bar + 0.5}
  :eq{ {type = "highpass", freq_hz = 20} }:fade{out_ms = 400}:gain{gain_db = -2}
output(song, param("name", "song") .. ".wav", {bits = 24})
