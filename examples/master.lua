-- A mastering chain in a dozen lines: gentle EQ and compression shared by every deliverable, then
-- one branch per format. `lathe render master.lua -D input=mix.wav -o masters/`
local mix = source(param("input", "song.wav"))
local master = mix
  :eq{ {type = "highpass", freq_hz = 25, slope_db_oct = 24},
       {type = "bell", freq_hz = 250, gain_db = -1.5, q = 1.0},
       {type = "highshelf", freq_hz = 10000, gain_db = 1.0} }
  :compress{ threshold_db = -20, ratio = 1.5, attack_ms = 30, release_ms = 150, knee_db = 6 }
local stem = param("stem", "song")
output(master:loudness{ target_lufs = -14, ceiling_dbtp = -1.0 }, stem .. ".streaming.flac", { bits = 24, deliverable = "streaming" })
-- CD: the limiter leaves 0.05 dB under -0.3 dBTP for the dither after it; whole 588-frame sectors
output(master:resample{ rate = 44100 }:limit{ ceiling_dbtp = -0.35 }
         :pad{ to_multiple_frames = 588 }:dither{ bits = 16 },
       stem .. ".cd.wav", { bits = 16, deliverable = "cd" })
output(master:stereo{ bass_mono_hz = 150 }:limit{ ceiling_dbtp = -1.0 }, stem .. ".vinyl.wav", { bits = 24, deliverable = "vinyl" })
output(master:limit{ ceiling_dbtp = -1.0 }, stem .. ".hires.flac", { bits = 24, deliverable = "hires" })
