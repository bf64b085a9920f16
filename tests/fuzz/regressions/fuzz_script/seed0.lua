local m = source('in.wav'):gain{gain_db = -3}
output(m, 'a.wav')
