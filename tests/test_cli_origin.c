/* Nodes are placed at the script line the user wrote (#17), as report.html and --json show
 * them: a chain written over several lines puts each node on its own line (Lua itself gives
 * every call of such a chain the chain's first line), a chain in a loop keeps its lines on the
 * second pass, the function-call form works, and a stock chain's nodes (deliver.lua) are placed
 * at the user's line that called it. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *script =
    "local x = source('in.wav')\n"                                     /* 1 */
    "local m = x\n"                                                    /* 2 */
    "  :eq{ {type = 'bell', freq_hz = 300, gain_db = -2, q = 1} }\n"   /* 3 */
    "  :compress{threshold_db = -24, ratio = 2}\n"                     /* 4 */
    "for i = 1, 2 do\n"                                                /* 5 */
    "  m = m\n"                                                        /* 6 */
    "    :gain{gain_db = -1}\n"                                        /* 7 */
    "end\n"                                                            /* 8 */
    "local s = saturate(m, {drive_db = 1})\n"                          /* 9 */
    "local deliver = require('deliver')\n"                             /* 10 */
    "deliver.cd(s, 'song')\n";                                         /* 11 */

/* The origins of the run's nodes of `type`, joined by spaces ("o.lua:3 o.lua:7"). */
static void origins(const json_t *run, const char *type, char *buf, size_t size)
{
    size_t i;
    const json_t *n;
    buf[0] = 0;
    json_array_foreach(json_object_get(run, "nodes"), i, n) {
        if (strcmp(json_string_value(json_object_get(n, "type")), type) != 0)
            continue;
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", len ? " " : "",
                 json_string_value(json_object_get(n, "origin")));
    }
}

int main(void)
{
    ct_setup();
    ct_write("gen.lua", "output(noise{duration_s = 2, color = 'pink', amplitude_db = -14, seed = 4},"
                        " 'in.wav', {bits = 24})\n");
    ct_write("o.lua", script);
    CHECK(ct_lathe("render gen.lua -o . --no-cache -q") == 0, "make the input");
    CHECK(ct_lathe_to("render o.lua -o out --no-cache --json", "run.json") <= 1, "render");
    char path[700], got[512];
    snprintf(path, sizeof path, "%s/run.json", ct_dir);
    json_t *run = json_load_file(path, 0, NULL);
    CHECK(run != NULL, "--json");
    if (run) {
        origins(run, "eq", got, sizeof got);
        CHECK(!strcmp(got, "o.lua:3"), "eq on its own line 3: %s", got);
        origins(run, "compress", got, sizeof got);
        CHECK(!strcmp(got, "o.lua:4"), "compress on its own line 4: %s", got);
        origins(run, "gain", got, sizeof got);
        CHECK(!strncmp(got, "o.lua:7 o.lua:7", 15), "both passes of the loop at line 7: %s", got);
        origins(run, "saturate", got, sizeof got);
        CHECK(!strcmp(got, "o.lua:9"), "the function-call form at line 9: %s", got);
        origins(run, "limit", got, sizeof got);
        CHECK(!strcmp(got, "o.lua:11"), "deliver.cd's limiter at the user's line 11: %s", got);
    }
    json_decref(run);
    ct_cleanup();
    return tu_done();
}
