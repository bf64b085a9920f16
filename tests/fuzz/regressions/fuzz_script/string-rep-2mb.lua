local t = {}
for i = 1, 1e9 do t[1] = string.rep("x", 2 << 20) end
