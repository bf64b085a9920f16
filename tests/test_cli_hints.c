/* Error messages a person understands at 2 a.m.: the file and line, what was expected, and the
 * closest name for a misspelt node, method, function or parameter. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const char *bin;

/* Renders `script` (written as s.lua) and checks exit code 2 and that stderr holds `want`. */
static void expect(const char *script, const char *want)
{
    char path[1024], buf[2048] = "";
    snprintf(path, sizeof path, "%s/s.lua", dir);
    FILE *f = fopen(path, "w");
    fputs(script, f);
    fclose(f);
    int rc = tu_run("cd %s && %s render s.lua -o . --quiet 2>err.txt", dir, bin);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    CHECK(rc == 2, "exit 2 (got %d) for: %s", rc, script);
    CHECK(strstr(buf, want) != NULL, "stderr has \"%s\"; got: %s", want, buf);
    CHECK(strncmp(buf, "lathe: s.lua:", 13) == 0, "names file and line: %s", buf);
}

int main(void)
{
    bin = getenv("LATHE_BIN");
    if (!bin)
        return 1;
    tu_tmpdir(dir, sizeof dir);
    expect("local m = sine{duration_s = 1}\nlocal y = m:gian{gain_db = 1}\n",
           "s.lua:2: no node type 'gian' (did you mean 'gain'?)");
    expect("local m = sine{duration_s = 1}\nlocal y = limt(m, {})\n",
           "no function 'limt' (did you mean 'limit'?)");
    expect("local m = sorce('x.wav')\n", "s.lua:1: attempt to call a nil value (global 'sorce'): "
                                         "no function 'sorce' (did you mean 'source'?)");
    expect("local m = xyzzyplugh{}\n", "no function 'xyzzyplugh' (`lathe help` lists the nodes)");
    expect("local t = {}\nlocal y = t.mix:gain{}\n",
           "s.lua:2: attempt to index a nil value (field 'mix'): the value before '.' or ':' is nil");
    expect("output(42, 'a.wav')\n", "bad argument #1 to 'output' (expected a node, got number");
    expect("local m = sine{duration_s = 1, freqhz = 3}\n",
           "s.lua:1: sine: unknown parameter 'freqhz' (did you mean 'freq_hz'?)");
    tu_run("rm -rf %s", dir);
    return tu_done();
}
