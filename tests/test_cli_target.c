/* `lathe master` masters (issue #16): a quiet (-20 LUFS) and a loud (-8 LUFS) programme reach
 * the default -14 LUFS and --target -10 on streaming, CD and hi-res, each under its own
 * true-peak ceiling (re-measured with libebur128 when present, else by `lathe analyze`); past
 * the limiting budget the run stops with exit 2 naming it and writes nothing; --keep-level
 * writes exactly what the explicit pre-#16 chains (cap, then a limiter at the ceiling) write. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pink noise and a bass tone, brought to LEVEL by the loudness node (peaks at -0.1 dBTP at
 * most): 8 s at 48 kHz. */
static const char *programme =
    "local n = noise{color = 'pink', amplitude_db = -20, duration_s = 8, seed = 3}\n"
    "local s = sine{freq_hz = 110, duration_s = 8}\n"
    "local m = mix(n, s, {gains_db = {0, -14}})\n"
    "output(m:loudness{target_lufs = param('level', -20), ceiling_dbtp = -0.1, max_gr_db = 20},\n"
    "       param('out', 'mix.wav'), {bits = 24})\n";

/* Integrated loudness and true peak: libebur128 when built with it, else lathe analyze. */
static void measure(const char *file, double *lufs, double *tp)
{
    long frames;
    ct_ebur128(file, lufs, tp, &frames);
    if (isfinite(*lufs))
        return;
    char args[512];
    snprintf(args, sizeof args, "analyze %s --json", file);
    ct_lathe_to(args, "analyze.json");
    char path[1024];
    snprintf(path, sizeof path, "%s/analyze.json", ct_dir);
    json_t *j = json_load_file(path, 0, NULL);
    json_t *o = json_array_get(j, 0);
    *lufs = json_number_value(json_object_get(o, "integrated_lufs"));
    *tp = json_number_value(json_object_get(o, "true_peak_dbtp"));
    json_decref(j);
}

static void master_to(const char *mix, const char *target_arg, double target)
{
    static const struct {
        const char *name, *ext;
        double ceiling;
    } outs[] = {{"streaming", "flac", -1.0}, {"cd", "wav", -0.3}, {"hires", "flac", -1.0}};
    char args[512];
    tu_run("rm -rf %s/out", ct_dir);
    snprintf(args, sizeof args, "master %s.wav -o out --no-cache --deliver streaming,cd,hires %s",
             mix, target_arg);
    int rc = ct_lathe(args);
    CHECK(rc == 0, "%s: exit 0 (got %d)", args, rc);
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "level: ") && strstr(out, "plays at: spotify"),
          "%s: says what was done and what the platforms play", args);
    free(out);
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        char file[256];
        snprintf(file, sizeof file, "out/%s.%s.%s", mix, outs[i].name, outs[i].ext);
        double lufs, tp;
        measure(file, &lufs, &tp);
        /* Louder than -14 LUFS, streaming's ceiling is -2 dBTP (specs.md). */
        double ceiling = strcmp(outs[i].name, "streaming") == 0 && target > -14 ? -2.0
                                                                                 : outs[i].ceiling;
        printf("%-4s %-10s %-9s %.2f LUFS, %.2f dBTP\n", mix, target_arg[0] ? target_arg : "default",
               outs[i].name, lufs, tp);
        CHECK(fabs(lufs - target) <= 0.1, "%s %s: %.2f LUFS, target %.1f", mix, outs[i].name,
              lufs, target);
        CHECK(tp <= ceiling, "%s %s: true peak %.3f dBTP <= %.1f", mix, outs[i].name, tp, ceiling);
    }
}

/* The chains `lathe master` ran before #16, written out node by node (with the cd profile's
 * lookahead of today): --keep-level must write the same bytes. */
static const char *old_chains =
    "local m = source('quiet.wav'):eq{{type = 'highpass', freq_hz = 20, slope_db_oct = 12}}\n"
    "local c = m:cap{max_lufs = -14, max_dbtp = 6}\n"
    "output(c:limit{ceiling_dbtp = -1.02}, 'quiet.streaming.flac',\n"
    "       {bits = 24, deliverable = 'streaming'})\n"
    "output(c:resample{rate = 44100}:limit{ceiling_dbtp = -0.35, lookahead_ms = 3,\n"
    "       release_ms = 100}:pad{to_multiple_frames = 588}:dither{bits = 16, shaping = 'none',\n"
    "       auto_blank_ms = 10},\n"
    "       'quiet.cd.wav', {bits = 16, deliverable = 'cd'})\n"
    "output(m:cap{max_lufs = -14, max_dbtp = 0}:limit{ceiling_dbtp = -1.02},\n"
    "       'quiet.hires.flac', {bits = 24, deliverable = 'hires'})\n";

static void test_keep_level(void)
{
    tu_run("rm -rf %s/out %s/old", ct_dir, ct_dir);
    CHECK(ct_lathe("master quiet.wav -o out --no-cache --deliver streaming,cd,hires "
                   "--keep-level --quiet") == 0, "--keep-level: exit 0");
    ct_write("old.lua", old_chains);
    CHECK(ct_lathe("render old.lua -o old --no-cache --quiet") == 0, "old chains render");
    const char *files[] = {"quiet.streaming.flac", "quiet.cd.wav", "quiet.hires.flac"};
    for (int i = 0; i < 3; i++) {
        int rc = tu_run("cmp -s %s/out/%s %s/old/%s", ct_dir, files[i], ct_dir, files[i]);
        CHECK(rc == 0, "--keep-level %s is byte-identical to the pre-#16 chain", files[i]);
    }
    double lufs, tp;
    measure("out/quiet.streaming.flac", &lufs, &tp);
    CHECK(lufs < -19, "--keep-level leaves a quiet mix quiet (%.2f LUFS)", lufs);
}

static void test_budget(void)
{
    tu_run("rm -rf %s/out", ct_dir);
    int rc = ct_lathe("master quiet.wav -o out --no-cache --deliver streaming,cd,hires "
                      "--target -5");
    CHECK(rc == 2, "past the limiting budget: exit 2 (got %d)", rc);
    CHECK(ct_stderr_has("max_gr_db") && ct_stderr_has("-D streaming.max_gr_db="),
          "the budget option is named");
    char *err = ct_slurp("stderr.txt", NULL);
    CHECK(err && ct_count(err, "\n") == 1, "one line: %s", err ? err : "");
    free(err);
    CHECK(!ct_exists("out/quiet.streaming.flac") && !ct_exists("out/quiet.cd.wav"),
          "nothing written");
    CHECK(ct_lathe("master quiet.wav -o out --target loud") == 2, "--target not a number: exit 2");
    CHECK(ct_lathe("master quiet.wav -o out --target -10 --keep-level") == 2,
          "--target with --keep-level: exit 2");
}

int main(void)
{
    ct_setup();
    ct_write("prog.lua", programme);
    CHECK(ct_lathe("render prog.lua -o . --quiet --no-cache -D out=quiet.wav") == 0, "quiet mix");
    CHECK(ct_lathe("render prog.lua -o . --quiet --no-cache -D out=loud.wav -D level=-8") == 0,
          "loud mix");
    double lufs, tp;
    measure("quiet.wav", &lufs, &tp);
    CHECK(fabs(lufs + 20) < 0.1, "quiet programme at -20 LUFS (%.2f)", lufs);
    measure("loud.wav", &lufs, &tp);
    CHECK(fabs(lufs + 8) < 0.1, "loud programme at -8 LUFS (%.2f)", lufs);
    master_to("quiet", "", -14);
    master_to("loud", "", -14);
    master_to("quiet", "--target -10", -10);
    master_to("loud", "--target -10", -10);
    test_keep_level();
    test_budget();
    ct_cleanup();
    return tu_done();
}
