/* test_cli_taken: an output that alone reads a loudness node is written by the node's gain
 * search as each trial pass renders it (engine/analyze_output.h), not stored in the cache and
 * read back after. That file must be the one an output sharing the node gets (the node's output
 * stored, then read), byte for byte and measurement for measurement: with one trial pass, with
 * two, and with eight where the pass kept is not the last; at -j 2 too. A pass not kept leaves
 * no temp file, and the stored output the direct file spares is really not written. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>

/* Pink noise over a loud 60 Hz tone: the limiter's work, and so the passes, grow fast with the
 * target (-7.5 LUFS: one pass, -7: two, -6.5: eight). pair=1: two outputs share the node. */
static const char *script =
    "local x = mix{ noise{ rate = 48000, duration_s = 20, color = 'pink', amplitude_db = -30,\n"
    "                      seed = 3 },\n"
    "               sine{ rate = 48000, duration_s = 20, freq_hz = 60, amplitude_db = -12 } }\n"
    "local l = x:loudness{ target_lufs = tonumber(param('target', -7)), ceiling_dbtp = -1,\n"
    "                      max_gr_db = 30 }\n"
    "if param('pair', '0') == '1' then\n"
    "  output(l, 'a.flac', {bits = 24}); output(l, 'b.flac', {bits = 24})\n"
    "else\n"
    "  output(l, 'one.flac', {bits = 24})\n"
    "end\n";

/* The run's JSON (NULL when it failed or cannot be read). */
static json_t *run(const char *args, const char *json_name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "render t.lua -q --json %s", args);
    if (ct_lathe_to(cmd, json_name) != 0)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, json_name);
    return json_load_file(path, 0, NULL);
}

static json_t *node_report(json_t *j)
{
    json_t *nodes = json_object_get(j, "nodes"), *n;
    size_t i;
    json_array_foreach(nodes, i, n)
        if (strcmp(json_string_value(json_object_get(n, "type")), "loudness") == 0)
            return json_object_get(n, "report");
    return NULL;
}

static double loudness_report(json_t *j, const char *key)
{
    json_t *r = node_report(j);
    return r ? json_number_value(json_object_get(r, key)) : -1.0;
}

/* Output k's measurements with its own name left out. */
static json_t *measured(json_t *j, size_t k)
{
    json_t *o = json_deep_copy(json_array_get(json_object_get(j, "outputs"), k));
    json_object_del(o, "file");
    json_object_del(o, "path");
    return o;
}

static json_int_t bytes_written(json_t *j)
{
    return json_integer_value(json_object_get(json_object_get(j, "cache"), "bytes_written"));
}

static void target(const char *t, int passes)
{
    char args[256];
    snprintf(args, sizeof args, "-D target=%s -o one_%s --cache c1_%s", t, t, t);
    json_t *one = run(args, "one.json");
    snprintf(args, sizeof args, "-D target=%s -D pair=1 -o pair_%s --cache c2_%s", t, t, t);
    json_t *pair = run(args, "pair.json");
    snprintf(args, sizeof args, "-D target=%s -o j2_%s --no-cache -j 2", t, t);
    json_t *j2 = run(args, "j2.json");
    CHECK(one && pair && j2, "target %s: the three renders ran", t);
    if (!one || !pair || !j2)
        goto done;
    CHECK(loudness_report(one, "passes") == passes, "target %s: %d trial passes (%g)", t, passes,
          loudness_report(one, "passes"));
    CHECK(tu_run("cd %s && cmp one_%s/one.flac pair_%s/a.flac && cmp one_%s/one.flac "
                 "j2_%s/one.flac", ct_dir, t, t, t, t) == 0,
          "target %s: the file written while analysing is the stored "
          "output's, byte for byte, at -j 1 and -j 2", t);
    json_t *m1 = measured(one, 0), *m2 = measured(pair, 0), *m3 = measured(j2, 0);
    CHECK(json_equal(m1, m2) && json_equal(m1, m3), "target %s: and measures the same", t);
    /* the lone output's meters give the node its loudness: the node's own meter's, to the bit */
    CHECK(json_equal(node_report(one), node_report(pair)) &&
              json_equal(node_report(one), node_report(j2)),
          "target %s: the node reports the same (output %.9f LUFS)", t,
          loudness_report(one, "output_lufs"));
    json_decref(m1);
    json_decref(m2);
    json_decref(m3);
    CHECK(tu_run("cd %s && test \"$(ls -A one_%s j2_%s | grep -c tmp)\" = 0", ct_dir, t, t) == 0,
          "target %s: no temp file left by the passes not kept", t);
    /* 20 s of stereo floats: what the shared node's stored output costs and the lone one's not */
    json_int_t spared = bytes_written(pair) - bytes_written(one);
    CHECK(spared >= 960000LL * 2 * 4, "target %s: the lone output spares the stored output "
          "(%lld bytes fewer written to the cache)", t, (long long)spared);
done:
    json_decref(one);
    json_decref(pair);
    json_decref(j2);
}

int main(void)
{
    ct_setup();
    ct_write("t.lua", script);
    target("-7.5", 1);
    target("-7", 2);
    target("-6.5", 8);
    ct_cleanup();
    return tu_done();
}
