local t = {}
for iaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1, 1e9 do t[1] = string.rep("x", 1 << 20) end
