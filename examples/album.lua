-- The example album: the three songs `make demo` synthesizes into demo-out/mixes, sequenced
-- into a CD image + CUE, a DDP fileset, tagged per-track FLACs and two vinyl sides.
--   lathe render examples/album.lua -D mixes=demo-out/mixes -o demo-out/album
local album = require("album")
local mixes = param("mixes", "demo-out/mixes")
album {
  title = "Night Drive", artist = "lathe demo", upc = "5012345678900", date = "2025",
  -- The sequence sets one album gain and has no limiter after it: -18 LUFS is about as loud as these
  -- synthesized songs' peaks allow under the streaming (-1 dBTP) and CD (-0.3 dBTP) ceilings;
  -- at -14 `lathe render` fails the specs (exit 1) and names the true peak it measured.
  loudness = "album", target_lufs = -18,
  tracks = {
    { file = mixes .. "/01.wav", title = "Low Roads", isrc = "ZZLTH2500001" },
    { file = mixes .. "/02.wav", title = "Sodium Lights", isrc = "ZZLTH2500002", gap_s = 2.0,
      gain_db = -1.0 },
    { file = mixes .. "/03.wav", title = "Last Exit", isrc = "ZZLTH2500003", crossfade_s = 1.0 },
  },
  vinyl = { speed = 33, sides = { {1, 2}, {3} } },
}
