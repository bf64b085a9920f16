-- Tiny helpers for examples/song.lua: lathe has no sequencer node, so a pattern is the same
-- short burst delayed to each hit time and summed (delay + mix), and a bar is repeated by
-- doubling (bar + bar delayed by its length), which keeps the graph small.
local M = {}

-- `hit` placed at each time in `times` (seconds), summed into one stream.
function M.at(hit, times)
  local parts = {}
  for i, t in ipairs(times) do
    parts[i] = t > 0 and hit:delay{delay_ms = t * 1000} or hit
  end
  return #parts == 1 and parts[1] or mix(parts)
end

-- `x` repeated `times` times (a power of two) every `every_s` seconds.
function M.loop(x, every_s, times)
  local n = 1
  while n < times do
    x = mix(x, x:delay{delay_ms = every_s * n * 1000})
    n = n * 2
  end
  return x
end

-- A sine chord: one sine per frequency, spread across the stereo field.
function M.chord(freqs, seconds, level_db)
  local voices = {}
  for i, f in ipairs(freqs) do
    local pan = (i - (#freqs + 1) / 2) * 4 -- dB of balance: low voices left, high ones right
    voices[i] = sine{freq_hz = f, duration_s = seconds, amplitude_db = level_db}
      :fade{in_ms = 30, out_ms = 250, curve = "equal_power"} -- no click at the chord change
      :stereo{balance_db = pan}
  end
  return mix(voices)
end

return M
