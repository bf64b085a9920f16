-- check.lua - the assertions of the chain tests (tests/chains/*_test.lua), found by `require`
-- beside them. A failed check is an error: the script stops and `lathe graph` exits 2 with the
-- message and its line.
local check = {}

function check.eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2)
  end
end

function check.ok(cond, what)
  if not cond then error(what, 2) end
end

-- f(...) must fail with a message containing `needle` (a plain string).
function check.fails(needle, what, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error(what .. ": no error", 2) end
  if not tostring(err):find(needle, 1, true) then
    error(string.format("%s: error %q does not say %q", what, tostring(err), needle), 2)
  end
end

return check
