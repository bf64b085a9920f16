/* Versioned output folders (issue #17): a tweak rendered into a NEW folder copies the outputs
 * whose content it would reproduce from the folder lathe wrote them to before, byte for byte,
 * without running their nodes; the changed output is rendered. A file edited in the old folder
 * is never copied: that output is rendered again. Counts come from `lathe render --json`. And
 * the progress line on a terminal names its phase. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renders album.lua into folder; returns nodes_run (-1 on failure), the DSP node types that
 * ran in ran, and how many outputs say they were copied from the folder `from`. */
static int render(const char *folder, const char *extra, char *ran, size_t size, const char *from,
                  int *copied)
{
    char args[512], path[1024];
    snprintf(args, sizeof args, "render album.lua -o %s --cache cache --json %s", folder, extra);
    if (ct_lathe_to(args, "run.json") != 0)
        return -1;
    snprintf(path, sizeof path, "%s/run.json", ct_dir);
    json_t *j = json_load_file(path, 0, NULL), *x;
    if (!j)
        return -1;
    size_t i;
    ct_nodes_ran(j, ran, size);
    *copied = 0;
    json_array_foreach(json_object_get(j, "outputs"), i, x) {
        const char *c = json_string_value(json_object_get(x, "copied_from"));
        char want[600];
        snprintf(want, sizeof want, "/%s/", from);
        *copied += c && strstr(c, want) && json_object_get(x, "integrated_lufs");
    }
    int n = (int)json_integer_value(json_object_get(j, "nodes_run"));
    json_decref(j);
    return n;
}

int main(void)
{
    ct_setup();
    ct_write("gen.lua",
             "output(mix(noise{duration_s = 6, color = 'pink', amplitude_db = -20, seed = 3},\n"
             "           sine{freq_hz = 220, duration_s = 6, amplitude_db = -12}), 'in.wav', {bits = 24})\n");
    ct_write("album.lua",
             "local m = source('in.wav'):eq{ {type = 'bell', freq_hz = 300, gain_db = -2, q = 1} }\n"
             "                          :compress{threshold_db = -24, ratio = 2}\n"
             "output(m:limit{ceiling_dbtp = -1}, 'hires.wav', {bits = 24})\n"
             "output(m:resample{rate = 44100}:limit{ceiling_dbtp = -0.3}:dither{bits = 16}, 'cd.wav', {bits = 16})\n"
             "output(m:loudness{target_lufs = param('target', -16), ceiling_dbtp = -1}, 'streaming.flac', {bits = 24})\n");
    CHECK(ct_lathe("render gen.lua -q --no-cache") == 0, "make the input");

    char ran[1024];
    int copied;
    int cold = render("v1", "", ran, sizeof ran, "v1", &copied);
    CHECK(cold == 7 && copied == 0, "v1: a cold render runs every DSP node (%d: %s)", cold, ran);

    tu_run("mkdir %s/v2", ct_dir);
    CHECK(ct_lathe("cache explain album.lua -o v2 --cache cache -D target=-14") == 0, "explain the tweak");
    char *plan = ct_slurp("stdout.txt", NULL);
    CHECK(plan && ct_count(plan, "will be copied from ") == 2 && strstr(plan, "v1/cd.wav")
          && ct_count(plan, "will be written") == 1 && tu_run("test -z \"$(ls %s/v2)\"", ct_dir) == 0,
          "lathe cache explain says which outputs would be copied, and copies nothing: %s", plan ? plan : "");
    free(plan);

    int tweak = render("v2", "-D target=-14", ran, sizeof ran, "v1", &copied);
    CHECK(tweak == 1 && strcmp(ran, "loudness ") == 0,
          "v2, a streaming tweak: only the loudness node runs, none of the unchanged outputs' (%d: %s)",
          tweak, ran);
    CHECK(copied == 2, "the two unchanged outputs say they were copied from v1, with v1's measurements (%d)",
          copied);
    CHECK(tu_run("cd %s && cmp -s v1/hires.wav v2/hires.wav && cmp -s v1/cd.wav v2/cd.wav "
                 "&& ! cmp -s v1/streaming.flac v2/streaming.flac", ct_dir) == 0,
          "the copies are byte-identical, the tweaked output is new");
    CHECK(tu_run("cd %s && %s render album.lua -o cold2 --no-cache -q -D target=-14 && "
                 "for f in hires.wav cd.wav streaming.flac; do cmp -s cold2/$f v2/$f || exit 1; done",
                 ct_dir, ct_bin) == 0, "v2 equals a cold render of the tweak byte for byte");

    CHECK(ct_lathe("render album.lua -o v3 --cache cache -D target=-14") == 0, "v3: the same, as text");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "(copied from v2/hires.wav)") && strstr(out, "(copied from v2/cd.wav)")
          && strstr(out, "0 nodes ran; 0 outputs written, 3 copied from earlier files"),
          "the summary says what was copied from where: %s", out ? out : "");
    free(out);

    /* Edit the hires file of every old folder (same size, a few samples overwritten, mtime moved
     * on): none of them may be copied. */
    tu_run("cd %s && for v in v1 v2 v3; do printf 'edited by hand!!' | dd of=$v/hires.wav bs=1 "
           "seek=40000 conv=notrunc status=none && touch $v/hires.wav; done", ct_dir);
    int again = render("v4", "-D target=-14", ran, sizeof ran, "v3", &copied);
    CHECK(again >= 1 && strstr(ran, "limit") && copied == 2,
          "v4: the edited hires file is not copied but rendered; the two others are copied (%d: %s; %d copied)",
          again, ran, copied);
    CHECK(tu_run("cd %s && for f in hires.wav cd.wav streaming.flac; do cmp -s v4/$f cold2/$f || exit 1; "
                 "done", ct_dir) == 0, "v4 holds the right bytes, not the edited ones");

    /* The newest folder deleted: the copies come from the one before. */
    tu_run("cd %s && rm -rf v4", ct_dir);
    int older = render("v5", "-D target=-14", ran, sizeof ran, "v3", &copied);
    CHECK(older >= 1 && copied == 2 && strstr(ran, "limit"),
          "v5: with v4 deleted, cd and streaming are copied from v3, hires rendered (%d: %s; %d copied)",
          older, ran, copied);

    /* Without the earlier folders, nothing can be copied: rendered again, correctly. */
    tu_run("cd %s && rm -rf v1 v2 v3 v5", ct_dir);
    int gone = render("v6", "", ran, sizeof ran, "v5", &copied);
    CHECK(gone >= 1 && copied == 0, "with the earlier folders removed, v6 renders (%d: %s)", gone, ran);
    CHECK(tu_run("cd %s && cmp -s v6/cd.wav cold2/cd.wav && cmp -s v6/hires.wav cold2/hires.wav", ct_dir) == 0,
          "and the same bytes as before");

    /* A copy that fails after its check (the file-key memo said v6/cd.wav holds its noted bytes;
     * then its open fails, as when the file vanishes meanwhile) is rendered after the others,
     * with the same bytes. Copies run beside the render, so this is the only way back. v6's files
     * must have settled (2 s) and been hashed once for the check to need no read. */
    tu_run("sleep 2.2; mkdir %s/v8", ct_dir);
    CHECK(ct_lathe("cache explain album.lua -o v8 --cache cache") == 0, "explain hashes v6's files");
    char env_asan[512], *asan = getenv("ASAN_OPTIONS") ? strdup(getenv("ASAN_OPTIONS")) : NULL;
    snprintf(env_asan, sizeof env_asan, "%s%sverify_asan_link_order=0", asan ? asan : "",
             asan ? ":" : ""); /* a preload before the sanitizer's runtime is fine here */
    setenv("ASAN_OPTIONS", env_asan, 1);
    setenv("LATHE_TEST_FAIL_OPEN", "/v6/cd.wav", 1);
    setenv("LD_PRELOAD", LATHE_FAIL_OPEN_LIB, 1);
    int refused = render("v8", "", ran, sizeof ran, "v6", &copied);
    unsetenv("LD_PRELOAD");
    unsetenv("LATHE_TEST_FAIL_OPEN");
    if (asan) /* the renders after this one run as the suite asked */
        setenv("ASAN_OPTIONS", asan, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(asan);
    CHECK(refused >= 1 && copied == 2 && strstr(ran, "dither") && !strstr(ran, "loudness"),
          "v8: cd.wav's copy fails after its check and is rendered; the others are copied "
          "(%d: %s; %d copied)", refused, ran, copied);
    CHECK(tu_run("cd %s && for f in hires.wav cd.wav streaming.flac; do cmp -s v8/$f v6/$f || "
                 "exit 1; done", ct_dir) == 0, "v8 holds v6's bytes, the rendered cd.wav too");

    /* A checksum file named by several outputs lists them all, copied or rendered. One kept
     * beside the folders (--allow-path) is the same file for every version, so the outputs stay
     * copyable (a checksum file in the folder is part of their key); when all three were copied,
     * each copy used to write a list of its own file alone. */
    ct_write("sums.lua", "local m = source('in.wav')\n"
                         "output(m:gain{gain_db = tonumber(param('g', -1))}, 'a.wav', {md5 = '../SUMS'})\n"
                         "output(m:gain{gain_db = -2}, 'b.wav', {md5 = '../SUMS'})\n"
                         "output(m:gain{gain_db = -3}, 'c.wav', {md5 = '../SUMS'})\n");
    static const char *const runs[3][3] = {{"s1", "", "rendered"},
                                           {"s2", "-D g=-1.5", "two copied, one rendered"},
                                           {"s3", "-D g=-1.5", "all three copied"}};
    for (int k = 0; k < 3; k++) {
        char args[1024];
        snprintf(args, sizeof args, "render sums.lua -o %s --cache cache --json --allow-path %s %s",
                 runs[k][0], ct_dir, runs[k][1]);
        CHECK(ct_lathe_to(args, "sums.json") == 0 &&
              tu_run("cd %s && [ $(grep -o '\"copied_from\"' sums.json | wc -l) = %d ] && cd %s && "
                     "[ $(wc -l < ../SUMS) = 3 ] && md5sum -c --quiet ../SUMS", ct_dir,
                     k == 0 ? 0 : k + 1, runs[k][0]) == 0,
              "%s (%s): the shared SUMS lists the three outputs, each with its bytes' sum",
              runs[k][0], runs[k][2]);
    }

    /* Progress on a terminal (script(1) gives one) names its phase (issue #17). */
    CHECK(tu_run("cd %s && script -qec '%s render album.lua -o v7 --cache cache -D target=-15' "
                 "/dev/null >tty.txt 2>&1 && grep -q 'analysing \\.\\.\\.' tty.txt "
                 "&& grep -q 'checking \\.\\.\\.' tty.txt && grep -q 'writing report \\.\\.\\.' tty.txt",
                 ct_dir, ct_bin) == 0, "the progress line says analysing, checking, writing report");
    ct_cleanup();
    return tu_done();
}
