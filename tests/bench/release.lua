-- release.lua - the reference release chain of the benchmark (tests/bench/run.sh), issue 10:
-- 3-band EQ -> compressor -> four deliverables (streaming, CD, vinyl, hi-res).
-- `lathe render tests/bench/release.lua -D input=song.wav -o out/`
-- run.sh holds the closest ffmpeg commands; keep the two in step.
-- gen_s = N: a pink-noise programme of N seconds at gen_rate Hz instead of a file (memory test)
local gen_s = tonumber(param("gen_s", 0))
local mix = gen_s > 0
  and noise{ rate = tonumber(param("gen_rate", 96000)), duration_s = gen_s, color = "pink",
             amplitude_db = -20, seed = 7 }
  or source(param("input", "song.wav"))
local stem = param("stem", "song")

local master = mix
  :eq{ {type = "lowshelf", freq_hz = 100, gain_db = 1.5, q = 0.7071},
       {type = "bell", freq_hz = 1000, gain_db = -2, q = 1.0},
       {type = "highshelf", freq_hz = 10000, gain_db = 1.0, q = 0.7071} }
  :compress{ threshold_db = -20, ratio = 2, knee_db = 6, attack_ms = 20, release_ms = 150,
             detector = "peak", link = 1 }

-- streaming: gain to the target, true-peak limited at -1 dBTP, 24-bit FLAC at the source rate
output(master:loudness{ target_lufs = tonumber(param("streaming_lufs", -14)), ceiling_dbtp = -1,
                        max_gr_db = tonumber(param("streaming_max_gr", 6)) },
       stem .. ".streaming.flac", { bits = 24, deliverable = param("streaming_spec", "streaming") })
-- CD: best resampler to 44.1 kHz, true-peak limiter, TPDF dither to 16 bits
output(master:resample{ rate = 44100, quality = "best" }:limit{ ceiling_dbtp = -0.3 }
             :dither{ bits = 16 },
       stem .. ".cd.wav", { bits = 16, deliverable = "cd" })
-- vinyl: side removed below 150 Hz (LR 48 dB/oct, as ffmpeg's acrossover: the same job; the stock
-- chain's default is the linear-phase split), 24-bit WAV
output(master:stereo{ bass_mono_hz = 150, bass_mono_mode = "iir" }, stem .. ".vinyl.wav",
       { bits = 24, deliverable = "vinyl" })
-- hi-res: best resampler to 96 kHz, true-peak limiter, 24-bit FLAC
output(master:resample{ rate = 96000, quality = "best" }:limit{ ceiling_dbtp = -1 },
       stem .. ".hires.flac", { bits = 24, deliverable = "hires" })
