/* Nothing silent (issue #16), as a user meets it: a misspelt name anywhere (a -D value, a
 * profile key, an output option, a tag, an album field, a deliverable option) stops the run with
 * one line naming it and the right suggestion, writing nothing; `lathe render` judges every
 * deliverable and says so in its exit code; a limiter aimed at the ceiling before dither is
 * warned about; print() leaves --json intact; scripts read from stdin; every `lathe help X` the
 * README and the man page mention prints something. */
#define _GNU_SOURCE
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries in a folder of the scratch dir (0 when it does not exist). */
static int files_in(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, dir);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

typedef struct misspelling {
    const char *what, *script, *args, *suggestion;
} misspelling;

static const char *const song =
    "local x = sine{duration_s = 5, rate = 44100, amplitude_db = -12}\n";

static void test_misspellings(void)
{
    /* lathe master's chain reads target, tilt_db, and the profiles' keys as PROFILE.KEY. */
    static const misspelling cases[] = {
        {"-D to the stock chain", NULL, "-D tagret=-16", "'target'"},
        {"-D chain option", NULL, "-D tilt_bd=1", "'tilt_db'"},
        {"-D profile key", NULL, "-D cd.ceilng_dbtp=-1", "'cd.ceiling_dbtp'"},
        {"-D profile name", NULL, "-D strimming.ceiling_dbtp=-1", "'streaming.ceiling_dbtp'"},
        {"-D to a script", "local g = param('gain_db', 0)\noutput(sine{duration_s = 5}, 'a.wav')\n",
         "-D gain_bd=-3", "'gain_db'"},
        {"output option", "output(sine{duration_s = 5}, 'a.wav', {bit = 16})\n", "", "'bits'"},
        {"tag key", "output(sine{duration_s = 5}, 'a.flac', {tags = {titel = 'x'}})\n", "",
         "'title'"},
        {"album field",
         "local album = require('album')\nalbum{title = 'T', artst = 'A', tracks = {{file = 'in.wav'}}}\n",
         "", "'artist'"},
        {"album track field",
         "local album = require('album')\nalbum{title = 'T', tracks = {{file = 'in.wav', gap = 2}}}\n",
         "", "'gap_s'"},
        {"deliverable option",
         "local deliver = require('deliver')\ndeliver.cd(source('in.wav'), 's', {ceiling = -1})\n",
         "", "'ceiling_dbtp'"},
    };
    char script[512];
    snprintf(script, sizeof script, "%soutput(x, 'in.wav', {bits = 24})\n", song);
    ct_write("make.lua", script);
    CHECK(ct_lathe("render make.lua -o . --quiet --no-cache") == 0, "input made");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const misspelling *c = &cases[i];
        char cmd[512];
        tu_run("rm -rf %s/out", ct_dir);
        if (c->script) {
            ct_write("s.lua", c->script);
            snprintf(cmd, sizeof cmd, "render s.lua -o out --no-cache %s", c->args);
        } else {
            snprintf(cmd, sizeof cmd, "master in.wav -o out --no-cache %s", c->args);
        }
        int rc = ct_lathe(cmd);
        char *err = ct_slurp("stderr.txt", NULL);
        char want[128];
        snprintf(want, sizeof want, "(did you mean %s?)", c->suggestion);
        CHECK(rc == 2, "%s: exit 2 (got %d)", c->what, rc);
        CHECK(err && ct_count(err, "\n") == 1, "%s: one line: %s", c->what, err ? err : "");
        CHECK(err && strstr(err, want), "%s: suggests %s: %s", c->what, c->suggestion,
              err ? err : "");
        CHECK(files_in("out") == 0, "%s: nothing written (%d files)", c->what, files_in("out"));
        free(err);
    }
    /* A profile key names the profile's keys; a free-form tag goes under extra. */
    ct_lathe("master in.wav -o out --no-cache -D cd.ceilng_dbtp=-1");
    CHECK(ct_stderr_has("cd keys: ") && ct_stderr_has("ceiling_dbtp, ") &&
          ct_stderr_has("target_lufs"), "the profile's keys are listed");
    ct_write("s.lua", "output(sine{duration_s = 5}, 'a.flac', {tags = {title = 'x', "
                      "extra = {MOOD = 'calm'}}})\n");
    CHECK(ct_lathe("render s.lua -o out --quiet --no-cache") == 0, "tags.extra accepted");
    long len;
    char *flac = ct_slurp("out/a.flac", &len);
    CHECK(flac && memmem(flac, (size_t)len, "MOOD=calm", 9) && memmem(flac, (size_t)len, "TITLE=x", 7),
          "extra and well-known tags written");
    free(flac);
}

static void test_render_verdicts(void)
{
    /* 5 s at 44.1 kHz is 375 CD sectors; a -6 dBFS sine passes the CD spec, a 0 dBFS one is
     * over -0.3 dBTP, and a ceiling 0.004 dB under the measured peak shows its decimals. */
    char s[1024];
    snprintf(s, sizeof s,
             "local x = sine{duration_s = 5, rate = 44100, amplitude_db = param('level', -6)}\n"
             "output(x, 'a.cd.wav', {bits = 16, deliverable = param('spec', 'cd')})\n");
    ct_write("cd.lua", s);
    CHECK(ct_lathe("render cd.lua -o out --no-cache") == 0, "passing deliverable: exit 0");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "spec cd: PASS"), "verdict printed: %s", out ? out : "");
    free(out);
    CHECK(ct_lathe("render cd.lua -o out --no-cache -D level=0") == 1, "failing: exit 1");
    CHECK(ct_stderr_has("spec cd: true_peak"), "the rule is on stderr");
    CHECK(ct_lathe("render cd.lua -o out --no-cache -D spec=cd:ceiling_dbtp=-6.004") == 1,
          "fails by 0.004 dB: exit 1");
    CHECK(ct_stderr_has("(limit -6.004 dBTP)") && !ct_stderr_has("(limit -6.00 dBTP)"),
          "printed with enough decimals to see why");
    /* A limiter aimed at the ceiling, then dither: warned, naming both nodes' lines. */
    ct_write("dither.lua",
             "local x = sine{duration_s = 5, rate = 44100, amplitude_db = 0}\n"
             "local l = x:limit{ceiling_dbtp = param('c', -0.3)}\n"
             "output(l:dither{bits = 16}, 'a.cd.wav', {bits = 16, deliverable = 'cd'})\n");
    ct_lathe("render dither.lua -o out --no-cache --quiet");
    CHECK(ct_stderr_has("warning: dither.lua:2 limit") && ct_stderr_has("dither.lua:3 dither"),
          "limit then dither with no margin is a warning naming both");
    ct_lathe("render dither.lua -o out --no-cache --quiet -D c=-0.35");
    CHECK(!ct_stderr_has("warning"), "with 0.05 dB of margin, no warning");
}

static void test_print_stdin_help(void)
{
    ct_write("p.lua", "print('from the script', 42)\noutput(sine{duration_s = 5}, 'a.wav')\n");
    CHECK(ct_lathe("render p.lua -o out --no-cache --json") == 0, "render --json");
    char path[1024];
    snprintf(path, sizeof path, "%s/stdout.txt", ct_dir);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    CHECK(j && json_array_size(json_object_get(j, "outputs")) == 1, "--json stays JSON: %s", e.text);
    json_decref(j);
    CHECK(ct_stderr_has("from the script\t42"), "print goes to stderr");
    tu_run("rm -rf %s/out", ct_dir);
    int rc = tu_run("cd %s && %s render - -o out --quiet --no-cache < p.lua 2>stderr.txt", ct_dir,
                    ct_bin);
    CHECK(rc == 0 && ct_exists("out/a.wav"), "render - reads the script from stdin");
    CHECK(ct_lathe("render --help") == 0, "render --help: exit 0");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "usage: lathe render"), "render --help prints its help");
    free(out);
}

/* Every `lathe help X` in the README and the man page runs, exits 0, prints something. */
static void help_mentions(const char *file, const char *marker)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", getenv("LATHE_SRC"), file);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s readable", path);
    if (!f)
        return;
    static char text[400000];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    int seen = 0;
    for (char *p = strstr(text, marker); p; p = strstr(p + 1, marker)) {
        char topic[64];
        if (sscanf(p + strlen(marker), "%63[a-z_]", topic) != 1)
            continue;
        if (strcmp(topic, "NODE") == 0 || strcmp(topic, "COMMAND") == 0)
            continue;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "help %s", topic);
        int rc = ct_lathe(cmd);
        long len = 0;
        free(ct_slurp("stdout.txt", &len));
        CHECK(rc == 0 && len > 40, "%s: `lathe help %s` exit %d, %ld bytes", file, topic, rc, len);
        seen++;
    }
    CHECK(seen >= 5, "%s mentions `lathe help X` (%d)", file, seen);
}

int main(void)
{
    ct_setup();
    test_misspellings();
    test_render_verdicts();
    test_print_stdin_help();
    help_mentions("README.md", "lathe help ");
    help_mentions("cli/lathe.1", "lathe help ");
    ct_cleanup();
    return tu_done();
}
