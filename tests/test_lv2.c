/* The lv2 node with a real plugin (x42-dpl, Debian's x42-plugins), run through the lathe binary
 * as a user would: transparent below its threshold (a dry branch nulls against it once lathe
 * compensates the reported latency), limiting under its threshold by lathe's true-peak meter,
 * byte-identical renders, cached like a native node (and not when the plugin's binary or
 * version changes), and exit 2 with the plugin's own ranges on bad input. Built without lilv,
 * it checks that lv2{} and `lathe plugins` say so. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "nodes/lv2_world.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPL "http://gareus.org/oss/lv2/dpl#stereo"
#define SKIP 77

/* Renders script with args; returns the exit code; the --json run is in run.json. */
static int render(const char *script, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "render %s -o out --json %s", script, args);
    return ct_lathe_to(cmd, "run.json");
}

/* "lv2 " for each DSP node that ran, from run.json. */
static void nodes_ran(char *buf, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/run.json", ct_dir);
    json_t *j = json_load_file(path, 0, NULL);
    ct_nodes_ran(j, buf, size);
    json_decref(j);
}

/* A number from `lathe analyze FILE --json` (the first file). */
static double analyze(const char *file, const char *field)
{
    char cmd[512], path[1024];
    snprintf(cmd, sizeof cmd, "analyze %s --json", file);
    if (ct_lathe_to(cmd, "analyze.json") != 0)
        return NAN;
    snprintf(path, sizeof path, "%s/analyze.json", ct_dir);
    json_t *j = json_load_file(path, 0, NULL);
    json_t *o = json_is_array(j) ? json_array_get(j, 0) : j; /* one file: one object */
    double v = json_number_value(json_object_get(o, field));
    json_decref(j);
    return v;
}

/* Peak of a - b shifted by `shift` frames (b read `shift` frames later), in dBFS. */
static double null_db(const char *a, const char *b, long shift)
{
    float *x, *y;
    int cx, cy, fx, fy;
    long nx = ct_read_audio(a, &x, &cx, &fx), ny = ct_read_audio(b, &y, &cy, &fy);
    double peak = NAN;
    if (nx > 0 && nx == ny && cx == cy) {
        peak = 0;
        for (long i = 0; i + shift < nx && i + shift >= 0 && i < nx; i++)
            for (int c = 0; c < cx; c++) {
                double d = fabs((double)x[i * cx + c] - (double)y[(i + shift) * cx + c]);
                peak = d > peak ? d : peak;
            }
    }
    free(x);
    free(y);
    return isnan(peak) ? (double)NAN : tu_db(peak);
}

static void without_lilv(void)
{
    ct_write("s.lua", "output(sine{duration_s = 1}:lv2{uri = '" DPL "'}, 'o.wav')\n");
    CHECK(render("s.lua", "--no-cache") == 2 && ct_stderr_has("built without LV2 support"),
          "lv2{} says lathe was built without LV2 support");
    CHECK(ct_lathe("plugins") == 2 && ct_stderr_has("built without LV2 support"),
          "lathe plugins says so too");
}

static void transparent_and_limiting(void)
{
    /* Music-like: pink noise and a low sine, peaks near -11 dBFS; a hot copy peaks over 0 dBFS. */
    ct_write("gen.lua",
             "local m = mix(noise{duration_s = 8, color = 'pink', amplitude_db = -26, seed = 7},\n"
             "              sine{freq_hz = 110, duration_s = 8, amplitude_db = -24})\n"
             "output(m, 'in.wav', {bits = 32})\n"
             "output(m:gain{gain_db = 12}, 'hot.wav', {bits = 32})\n");
    CHECK(ct_lathe("render gen.lua -q --no-cache") == 0, "make the inputs");
    double in_peak = analyze("in.wav", "sample_peak_dbfs");
    CHECK(in_peak < -3 && in_peak > -12, "input peak %.2f dBFS is below the threshold", in_peak);

    ct_write("t.lua", "local x = source('in.wav')\n"
                      "output(x:lv2{uri = '" DPL "', controls = {threshold = -1}}, 'wet.wav', {bits = 32})\n"
                      "output(x, 'dry.wav', {bits = 32})\n");
    CHECK(render("t.lua", "--no-cache") == 0, "render through x42-dpl");
    char *json = ct_slurp("run.json", NULL);
    CHECK(json && strstr(json, "\"plugin_latency_frames\": 64"), "dpl reports 64 frames of latency");
    free(json);
    double n0 = null_db("out/wet.wav", "out/dry.wav", 0);
    CHECK(n0 < -120, "below threshold, wet nulls against dry after compensation: %.1f dB", n0);
    double n1 = null_db("out/wet.wav", "out/dry.wav", 1);
    CHECK(n1 > -60, "one frame off it does not null (%.1f dB): the check can fail", n1);

    ct_write("l.lua", "local x = source('hot.wav')\n"
                      "output(x:lv2{uri = '" DPL "', controls = {threshold = -1, truepeak = 1}},\n"
                      "       'tp.wav', {bits = 32})\n"
                      "output(x:lv2{uri = '" DPL "', controls = {threshold = -1, truepeak = 0}},\n"
                      "       'sp.wav', {bits = 32})\n");
    CHECK(render("l.lua", "--no-cache") == 0, "render the hot input through dpl");
    double hot_tp = analyze("hot.wav", "true_peak_dbtp");
    double tp = analyze("out/tp.wav", "true_peak_dbtp");
    double sp_sample = analyze("out/sp.wav", "sample_peak_dbfs");
    double sp_tp = analyze("out/sp.wav", "true_peak_dbtp");
    CHECK(hot_tp > 0.5, "the hot input peaks over full scale (%.2f dBTP)", hot_tp);
    /* dpl's true-peak mode estimates inter-sample peaks with 4x upsampling; lathe's meter,
     * flat to 0.98 of Nyquist since #21, reads more of this noise's top octave (measured
     * -0.81 dBTP at -1; -0.93 with the old 32-tap meter): the documented difference, 0.25 dB. */
    CHECK(tp <= -1.0 + 0.25, "truepeak mode: %.3f dBTP by lathe's meter, within 0.25 dB of -1", tp);
    CHECK(sp_tp > tp + 0.2, "sample-peak mode lets inter-sample peaks through (%.3f dBTP)", sp_tp);
    CHECK(sp_sample <= -1.0 + 0.01, "sample-peak mode: sample peak %.3f dBFS under -1", sp_sample);
    CHECK(tu_run("cd %s && cp out/tp.wav first.wav", ct_dir) == 0
              && render("l.lua", "--no-cache") == 0
              && tu_run("cd %s && cmp -s out/tp.wav first.wav", ct_dir) == 0,
          "two renders are byte-identical");
}

static void cached_like_a_native_node(void)
{
    /* A private copy of the plugin, so its binary and version can change under lathe. */
    CHECK(tu_run("mkdir -p %s/lv2 && cp -r /usr/lib/lv2/dpl.lv2 %s/lv2/", ct_dir, ct_dir) == 0,
          "copy dpl.lv2");
    char env[1024];
    snprintf(env, sizeof env, "%s/lv2", ct_dir);
    setenv("LV2_PATH", env, 1);
    ct_write("c.lua", "local x = source('in.wav'):gain{gain_db = -1}\n"
                      "local thr = tonumber(param('thr', '-1'))\n"
                      "output(x:lv2{uri = '" DPL "', controls = {threshold = thr}}:gain{gain_db = -0.5},\n"
                      "       'wet.wav', {bits = 24})\n"
                      "output(x, 'dry.wav', {bits = 24})\n");
    char ran[256];
    CHECK(render("c.lua", "--cache cache") == 0, "cold render");
    nodes_ran(ran, sizeof ran);
    CHECK(strcmp(ran, "gain lv2 gain ") == 0, "cold: every node runs (%s)", ran);
    CHECK(render("c.lua", "--cache cache") == 0, "warm render");
    nodes_ran(ran, sizeof ran);
    CHECK(ran[0] == 0, "warm re-render runs no node (ran: %s)", ran);
    CHECK(render("c.lua", "--cache cache -D thr=-2") == 0, "render with another threshold");
    nodes_ran(ran, sizeof ran);
    CHECK(strcmp(ran, "lv2 gain ") == 0, "one control changed: only lv2 and what follows run (%s)", ran);
    CHECK(tu_run("cd %s && cp out/wet.wav tweak.wav", ct_dir) == 0
              && render("c.lua", "--no-cache -D thr=-2") == 0
              && tu_run("cd %s && cmp -s out/wet.wav tweak.wav", ct_dir) == 0,
          "the re-render from cached input is byte-identical to a render without the cache");
    CHECK(tu_run("printf 'x' >> %s/lv2/dpl.lv2/dpl.so", ct_dir) == 0
              && render("c.lua", "--cache cache -D thr=-2") == 0,
          "render after the plugin's binary changed");
    nodes_ran(ran, sizeof ran);
    CHECK(strcmp(ran, "lv2 gain ") == 0, "a changed binary is never served from the cache (%s)", ran);
    char *json = ct_slurp("run.json", NULL);
    const char *why = json ? strstr(json, " plugin v") : NULL;
    CHECK(why && strstr(why, " -> v"), "why names the plugin's binary as what changed");
    free(json);
    CHECK(tu_run("sed -i 's/lv2:minorVersion 1542/lv2:minorVersion 1543/' %s/lv2/dpl.lv2/dpl.ttl",
                 ct_dir) == 0 && render("c.lua", "--cache cache -D thr=-2") == 0,
          "render after the plugin's version changed");
    nodes_ran(ran, sizeof ran);
    CHECK(strcmp(ran, "lv2 gain ") == 0, "a new version re-runs the plugin (%s)", ran);
    unsetenv("LV2_PATH");
}

/* The test bundle's plugins each break one promise; lathe must name the plugin and stop, or
 * (for run-to-run differences) run it but never cache it. */
static void misbehaving(const char *bundles)
{
    char path[1024];
    snprintf(path, sizeof path, "%s:/usr/lib/lv2", bundles);
    setenv("LV2_PATH", path, 1);
    ct_write("nan.lua", "output(source('in.wav'):lv2{uri = 'http://lathe.invalid/test#nan', "
                        "controls = {after = 5000}}, 'nan.wav')\n");
    int rc = render("nan.lua", "--no-cache");
    CHECK(rc == 2 && ct_stderr_has("nan.lua:1: lv2")
              && ct_stderr_has("uri=http://lathe.invalid/test#nan")
              && ct_stderr_has("NaN or infinite sample in its output at frame 5000, channel 1"),
          "NaN output: exit %d naming the plugin and the frame", rc);
    CHECK(!ct_exists("out/nan.wav"), "no output file at its final path after NaN");

    ct_write("noisy.lua", "local x = source('in.wav'):gain{gain_db = -1}\n"
                          "output(x:lv2{uri = 'http://lathe.invalid/test#noisy'}, 'noisy.wav')\n"
                          "output(x, 'dry.wav')\n");
    char ran[256];
    CHECK(render("noisy.lua", "--cache cache2") == 0 && render("noisy.lua", "--cache cache2") == 0,
          "two cached renders with a not reproducible plugin");
    nodes_ran(ran, sizeof ran);
    char *json = ct_slurp("run.json", NULL);
    CHECK(strcmp(ran, "lv2 ") == 0, "its node runs again every time; the rest is cached (%s)", ran);
    CHECK(json && strstr(json, "not reproducible (two runs differ): never cached")
              && strstr(json, "\"reproducible\": \"no (never cached)\""),
          "the run reports it as not reproducible");
    free(json);

    ct_write("hang.lua", "output(source('in.wav'):lv2{uri = 'http://lathe.invalid/test#hang'}, 'hang.wav')\n");
    setenv("LATHE_LV2_WATCHDOG_S", "2", 1);
    rc = render("hang.lua", "--no-cache");
    unsetenv("LATHE_LV2_WATCHDOG_S");
    CHECK(rc == 2 && ct_stderr_has("LV2 plugin http://lathe.invalid/test#hang hung"),
          "a hung plugin: the watchdog stops lathe (exit %d) naming it", rc);
    CHECK(!ct_exists("out/hang.wav"), "no output file at its final path after a hang");
    setenv("LV2_PATH", "/usr/lib/lv2", 1);
}

static void bad_input(void)
{
    static const struct {
        const char *controls, *uri, *expect;
    } cases[] = {
        {"threshold = 3", DPL, "threshold 3 out of range [-10, 0] dB"},
        {"threshhold = -1", DPL, "did you mean 'threshold'?"},
        {"truepeak = 0.5", DPL, "takes a whole number in [0, 1]"},
        {"", "http://gareus.org/oss/lv2/dpl#sterep", "did you mean '" DPL "'?"},
        {"", "file:///tmp/evil.so", "no LV2 plugin 'file:///tmp/evil.so' installed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char script[512];
        snprintf(script, sizeof script, "output(source('in.wav'):lv2{uri = '%s', controls = {%s}}, 'o.wav')\n",
                 cases[i].uri, cases[i].controls);
        ct_write("bad.lua", script);
        int rc = render("bad.lua", "--no-cache");
        CHECK(rc == 2 && ct_stderr_has(cases[i].expect) && ct_stderr_has("bad.lua:1"),
              "{%s} %s: exit %d naming the script line and '%s'", cases[i].controls, cases[i].uri,
              rc, cases[i].expect);
    }
    CHECK(!ct_exists("out/o.wav"), "no output file after a bad parameter");
    CHECK(render("t.lua", "--no-cache --no-plugins") == 2 && ct_stderr_has("--no-plugins"),
          "--no-plugins refuses the plugin (exit 2)");
    int rc = ct_lathe("plugins");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(rc == 0 && out && ct_count(out, DPL) == 1, "lathe plugins lists dpl");
    free(out);
    CHECK(ct_lathe("help lv2:" DPL) == 0, "lathe help lv2:URI");
    out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "threshold") && strstr(out, "[-10, 0], default -1")
              && strstr(out, "latency reported on port 'latency'"),
          "help shows ranges, defaults, units and the latency port");
    free(out);
}

int main(void)
{
    ct_setup();
    if (!lathe_lv2_available()) {
        without_lilv();
    } else if (tu_run("test -f /usr/lib/lv2/dpl.lv2/dpl.so") != 0) {
        printf("SKIP: x42-plugins is not installed (make test-deps installs it)\n");
        ct_cleanup();
        return SKIP;
    } else {
        setenv("LV2_PATH", "/usr/lib/lv2", 1); /* the system's plugins, not a user's folder */
        transparent_and_limiting();
        cached_like_a_native_node();
        bad_input();
        if (getenv("LATHE_TEST_LV2"))
            misbehaving(getenv("LATHE_TEST_LV2"));
        else
            CHECK(0, "LATHE_TEST_LV2 (the test plugin bundles) is set by CTest");
    }
    ct_cleanup();
    return tu_done();
}
