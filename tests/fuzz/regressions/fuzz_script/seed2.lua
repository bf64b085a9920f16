local m = sine{duration_s = 2}:eq{{type = 'highpass', freq_hz = 30, slope_db_oct = 12}, {type = 'bell', freq_hz = 250, gain_db = -1.5, q = 1}}
output(m:compress{threshold_db = -20, ratio = 2}:loudness{target_lufs = -14}, 's.wav')
output(m:resample{rate = 44100}:dither{bits = 16}, 'cd.wav', {bits = 16})
