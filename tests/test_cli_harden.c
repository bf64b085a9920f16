/* Hardening, run as a hostile or careless user would (issue #22): graphs far larger than any
 * chain, links planted inside the output folder, leftovers of killed runs. Every case checks what
 * lathe must not do (write outside -o, follow a link, leave a temporary file) as well as what it
 * must. */
#define _GNU_SOURCE
#include "clitest.h"
#include "testutil.h"
#include "engine/audio_io.h"
#include "engine/safe_file.h"

#include <dirent.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* Names in folder (relative to the scratch folder) that contain needle. */
static int count_names(const char *folder, const char *needle)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, folder);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, needle) != NULL;
    if (d)
        closedir(d);
    return n;
}

/* A chain of 10,000 nodes renders (the scheduler's per-node scratch once had room for 4096). */
static void test_ten_thousand_nodes(void)
{
    ct_write("big.lua", "local x = sine{freq_hz = 997, duration_s = 0.2, amplitude_db = -12}\n"
                        "for i = 1, 10000 do x = x:gain{gain_db = (i % 2 == 0) and 0.001 or -0.001} end\n"
                        "output(x, 'big.wav', {bits = 24})\n");
    int rc = ct_lathe("render big.lua -o big --no-cache");
    CHECK(rc == 0, "10,000 nodes render (exit %d)", rc);
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "10001 nodes ran"), "every node ran: %s", out ? out : "");
    free(out);
    float *x = NULL;
    int ch = 0, fmt = 0;
    long frames = ct_read_audio("big/big.wav", &x, &ch, &fmt);
    CHECK(frames == 9600, "the output has the programme's 9600 frames (%ld)", frames);
    double peak = 0;
    for (long i = 0; i < frames * ch; i++)
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
    CHECK_NEAR(tu_db(peak), -12.0, 0.05, "gains of +-0.001 dB cancel: peak -12 dBFS");
    free(x);
}

/* A folder inside -o that links outside, followed by a subfolder that does not exist yet: refused
 * before anything renders, and nothing is created outside. */
static void test_link_to_outside(void)
{
    tu_run("mkdir -p %s/o1 %s/elsewhere && ln -s ../elsewhere %s/o1/link", ct_dir, ct_dir, ct_dir);
    ct_write("esc.lua", "output(sine{duration_s = 0.1}, 'link/new/x.wav')\n");
    int rc = ct_lathe("render esc.lua -o o1 --no-cache");
    CHECK(rc == 2, "a new folder under a link that leads outside is refused (exit %d)", rc);
    CHECK(ct_stderr_has("outside the output folder"), "the error says why");
    CHECK(count_names("elsewhere", "new") == 0 && count_names("elsewhere", "x.wav") == 0,
          "nothing was created outside -o");
}

/* A link planted at the final name is replaced by the file, its target untouched; the same for
 * text outputs and checksum sidecars. */
static void test_planted_final_name(void)
{
    tu_run("mkdir -p %s/o2 && echo precious > %s/victim.txt", ct_dir, ct_dir);
    tu_run("ln -s ../victim.txt %s/o2/x.wav && ln -s ../victim.txt %s/o2/notes.txt", ct_dir, ct_dir);
    tu_run("ln -s ../victim.txt %s/o2/x.md5", ct_dir);
    ct_write("plant.lua", "local s = sine{duration_s = 0.1}\n"
                          "output(s, 'x.wav', {md5 = 'x.md5'})\n"
                          "output_text('notes.txt', 'hello')\n");
    int rc = ct_lathe("render plant.lua -o o2 --no-cache");
    CHECK(rc == 0, "renders over planted links (exit %d)", rc);
    char *v = ct_slurp("victim.txt", NULL);
    CHECK(v && strcmp(v, "precious\n") == 0, "the link's target is untouched: '%s'", v ? v : "(gone)");
    free(v);
    struct stat st;
    char p[1024];
    const char *names[] = {"x.wav", "notes.txt", "x.md5"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/o2/%s", ct_dir, names[i]);
        CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode), "o2/%s is now a regular file", names[i]);
    }
    CHECK(count_names("o2", "lathe-tmp") == 0, "no temporary file left");
}

/* A folder of -o that is a link is not written through: refused when the script names it, and,
 * should it become a link after that check (a race), by the writer itself, which walks the
 * folders with O_NOFOLLOW (shown directly on safe_file, since the race has no fixed moment). */
static void test_existing_folder_is_link(void)
{
    tu_run("mkdir -p %s/o3 %s/away && ln -s ../away %s/o3/sub", ct_dir, ct_dir, ct_dir);
    ct_write("sub.lua", "output(sine{duration_s = 0.1}, 'sub/x.wav')\n");
    int rc = ct_lathe("render sub.lua -o o3 --no-cache");
    CHECK(rc != 0, "writing through a link inside -o fails (exit %d)", rc);
    CHECK(count_names("away", "x.wav") == 0 && count_names("away", "lathe-tmp") == 0,
          "nothing written where the link leads");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/o3/sub/new/x.wav", ct_dir);
    lathe_safe_file sf;
    int rc2 = lathe_safe_open(&sf, NULL, path, err, sizeof err);
    if (rc2 == 0)
        lathe_safe_abandon(&sf);
    CHECK(rc2 != 0 && strstr(err, "symbolic link"), "the writer refuses the link: %s", err);
    CHECK(count_names("away", "new") == 0, "and creates nothing through it");
}

/* Temporary files of a killed run are removed by the next run that writes the same name, once
 * their process is gone and they are old; a live run's are left alone. */
static void test_stale_temps(void)
{
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0); /* a process id that no longer runs */
    tu_run("mkdir -p %s/o4", ct_dir);
    char stale[256], young[256], mine[256], other[256];
    snprintf(stale, sizeof stale, "o4/.x.wav.lathe-tmp-%ld-0123456789ab", (long)child);
    snprintf(young, sizeof young, "o4/.x.wav.lathe-tmp-%ld-ba9876543210", (long)child);
    snprintf(mine, sizeof mine, "o4/.x.wav.lathe-tmp-%ld-aaaaaaaaaaaa", (long)getpid());
    snprintf(other, sizeof other, "o4/.y.wav.lathe-tmp-%ld-0123456789ab", (long)child);
    ct_write(stale, "half a file");
    ct_write(young, "being written elsewhere");
    ct_write(mine, "a live process");
    ct_write(other, "another name");
    tu_run("touch -d '1 hour ago' %s/%s %s/%s %s/%s", ct_dir, stale, ct_dir, mine, ct_dir, other);
    ct_write("stale.lua", "output(sine{duration_s = 0.1}, 'x.wav')\n");
    int rc = ct_lathe("render stale.lua -o o4 --no-cache");
    CHECK(rc == 0, "renders (exit %d)", rc);
    CHECK(!ct_exists(stale), "the old temporary file of a gone process is removed");
    CHECK(ct_exists(young), "a recent one is kept (another machine may be writing it)");
    CHECK(ct_exists(mine), "a live process's is kept");
    CHECK(ct_exists(other), "another name's is kept");
}

/* A FLAC cut in half and a float WAV holding a NaN: every command gives the same verdict on the
 * same file, without aborting and without leaving temporary files. */
static void test_damaged_inputs(void)
{
    ct_write("mk.lua", "output(sine{freq_hz = 440, duration_s = 5, amplitude_db = -10}, 'full.flac')\n");
    CHECK(ct_lathe("render mk.lua -o . --no-cache") == 0, "a FLAC to cut");
    long len = 0;
    char *flac = ct_slurp("full.flac", &len);
    ct_write_n("cut.flac", flac ? flac : "", (unsigned long)(len / 2));
    free(flac);
    float x[2 * 4800];
    for (int i = 0; i < 4800; i++)
        x[2 * i] = x[2 * i + 1] = 0.25f * (float)sin(i * 0.05);
    x[2 * 1000] = NAN;
    char path[1024];
    snprintf(path, sizeof path, "%s/nan.wav", ct_dir);
    SF_INFO info = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    sf_writef_float(sf, x, 4800);
    sf_close(sf);
    ct_write("cut.lua", "output(source('cut.flac'), 'o.wav')\n");
    ct_write("nan.lua", "output(source('nan.wav'), 'o.wav')\n");
    static const struct { const char *cmd; int code; const char *err; } rows[] = {
        {"analyze cut.flac", 3, "truncated"},
        {"check cut.flac --spec cd", 3, "truncated"},
        {"check cut.flac --spec streaming", 3, "truncated"},
        {"render cut.lua -o dmg --no-cache", 3, "truncated"},
        {"master cut.flac -o dmg --no-cache", 3, "truncated"},
        {"analyze nan.wav", 3, "NaN"},
        {"render nan.lua -o dmg --no-cache", 3, "NaN"},
        {"check nan.wav --spec streaming", 1, NULL},
        {"check nan.wav --spec cd", 1, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = ct_lathe(rows[i].cmd);
        CHECK(rc == rows[i].code, "lathe %s: exit %d (want %d)", rows[i].cmd, rc, rows[i].code);
        if (rows[i].err)
            CHECK(ct_stderr_has(rows[i].err), "lathe %s names the damage", rows[i].cmd);
        else {
            char *out = ct_slurp("stdout.txt", NULL);
            CHECK(out && strstr(out, "finite") && strstr(out, "NaN"), "lathe %s: finite FAIL",
                  rows[i].cmd);
            free(out);
        }
    }
    CHECK(count_names("dmg", "") <= 2, "no output of a damaged input (only . and ..)");
}

/* Whatever a script catches, its budget ends it: exit 2 with one line naming the script. The
 * C-side cases are ended by the processor-time watchdog (5 s). */
static void test_budget_escapes(void)
{
    static const struct { const char *name, *script, *err; } rows[] = {
        {"pcall.lua", "while true do pcall(function() while true do end end) end\n",
         "pcall.lua:1: instruction budget exhausted"},
        {"xpcall.lua", "local t = {} for i = 1, 100000 do t[i] = (i * 7919) % 100000 end\n"
                       "while true do xpcall(function() table.sort(t, function(a, b)\n"
                       "  local x = 0 for k = 1, 100 do x = x + k end return a < b end) end,\n"
                       "  function(m) return m end) end\n", "instruction budget exhausted"},
        {"gc.lua", "setmetatable({}, {__gc = function() while true do end end})\n",
         "gc.lua:1: setmetatable: __gc finalizers are not available"},
        {"pattern.lua", "local s = string.rep('a', 30000)\nprint(s:find('.-.-.-.-.-b'))\n",
         "pattern.lua: the script used more than 5 s of processor time"},
        /* few instructions, gigabytes of copying: allocation is charged to the budget */
        {"churn.lua", "local s, t = ('x'):rep(1024), {}\n"
                      "for i = 1, 1e9 do t[1] = s:rep(1024) end\n",
         "churn.lua:2: instruction budget exhausted"},
        {"texts.lua", "local s = string.rep('x', 100 * 1000 * 1000)\n"
                      "for i = 1, 8 do output_text('t' .. i .. '.txt', s) end\n",
         "texts.lua:2: script memory limit of 256 MiB reached"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ct_write(rows[i].name, rows[i].script);
        char cmd[256];
        snprintf(cmd, sizeof cmd, "render %s -o budget --no-cache", rows[i].name);
        int rc = ct_lathe(cmd);
        CHECK(rc == 2, "%s: exit %d (want 2)", rows[i].name, rc);
        CHECK(ct_stderr_has(rows[i].err), "%s: the reason", rows[i].name);
    }
    CHECK(count_names("budget", "") <= 2, "nothing written by a script that was ended");
}

/* SIGINT in every phase of render, master and check: exit 130, no temporary file in -o or in
 * $TMPDIR, no report written after the interrupt, and no final file half-written. */
static void test_interrupt_every_phase(void)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tmp", ct_dir);
    tu_run("mkdir -p %s", tmp);
    setenv("TMPDIR", tmp, 1);
    ct_write("song.lua", "output(sine{freq_hz = 440, duration_s = 3, amplitude_db = -14}, 'song.wav', {bits = 24})\n");
    CHECK(ct_lathe("render song.lua -o . --no-cache") == 0, "a mix to master");
    ct_write("int.lua", "local s = source('song.wav')\n"
                        "output(s:loudness{target_lufs = -14, ceiling_dbtp = -1}, 'x.flac', "
                        "{bits = 24, deliverable = 'streaming'})\n");
    static const struct { const char *phase, *cmd; } rows[] = {
        {"script", "render int.lua -o intr --no-cache --preview"},
        {"rendering", "render int.lua -o intr --no-cache --preview"},
        {"measuring", "render int.lua -o intr --no-cache --preview"},
        {"previews", "render int.lua -o intr --no-cache --preview"},
        {"report", "render int.lua -o intr --no-cache --preview"},
        {"script", "master song.wav -o intr --no-cache"},
        {"rendering", "master song.wav -o intr --no-cache"},
        {"measuring", "master song.wav -o intr --no-cache"},
        {"report", "master song.wav -o intr --no-cache"},
        {"checking", "check song.wav --spec streaming"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tu_run("rm -rf %s/intr", ct_dir);
        setenv("LATHE_TEST_INTERRUPT_AT", rows[i].phase, 1);
        int rc = ct_lathe(rows[i].cmd);
        unsetenv("LATHE_TEST_INTERRUPT_AT");
        CHECK(rc == 130, "%s at %s: exit %d (want 130)", rows[i].cmd, rows[i].phase, rc);
        CHECK(ct_stderr_has("interrupted"), "%s at %s: says so", rows[i].cmd, rows[i].phase);
        CHECK(count_names("intr", "lathe-tmp") == 0 && count_names("intr", ".tmp") == 0,
              "%s at %s: no temporary file in -o", rows[i].cmd, rows[i].phase);
        CHECK(count_names("tmp", "") <= 2, "%s at %s: nothing left in TMPDIR", rows[i].cmd,
              rows[i].phase);
        CHECK(count_names("intr", "report.html") == 0, "%s at %s: no report after the interrupt",
              rows[i].cmd, rows[i].phase);
    }
    unsetenv("TMPDIR");
}

/* A checksum sidecar may collect several outputs' lines but never replace an output, in either
 * order of declaration; refused before anything renders. */
static void test_sidecar_collisions(void)
{
    static const struct { const char *script; int code; } rows[] = {
        {"local s = sine{duration_s = 0.1}\noutput(s, 'a.wav', {md5 = 'a.wav'})\n", 2},
        {"local s = sine{duration_s = 0.1}\noutput(s, 'a.wav')\noutput(s, 'b.wav', {md5 = 'a.wav'})\n", 2},
        {"local s = sine{duration_s = 0.1}\noutput(s, 'b.wav', {md5 = 'a.wav'})\noutput(s, 'a.wav')\n", 2},
        {"local s = sine{duration_s = 0.1}\noutput_text('a.txt', 'x')\noutput(s, 'b.wav', {md5 = 'a.txt'})\n", 2},
        {"local s = sine{duration_s = 0.1}\noutput(s, 'a.wav', {md5 = 'sums.md5'})\n"
         "output(s, 'b.wav', {md5 = 'sums.md5'})\n", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tu_run("rm -rf %s/side", ct_dir);
        ct_write("side.lua", rows[i].script);
        int rc = ct_lathe("render side.lua -o side --no-cache");
        CHECK(rc == rows[i].code, "sidecar case %zu: exit %d (want %d)", i, rc, rows[i].code);
        if (rows[i].code)
            CHECK(ct_stderr_has("side.lua:") && (ct_stderr_has("would overwrite an output")
                                                 || ct_stderr_has("two outputs write")),
                  "sidecar case %zu: the line and the clash", i);
    }
    char *sums = ct_slurp("side/sums.md5", NULL);
    CHECK(sums && ct_count(sums, "  a.wav\n") == 1 && ct_count(sums, "  b.wav\n") == 1,
          "a shared checksum file lists both outputs: %s", sums ? sums : "(none)");
    free(sums);
}

/* Albums: 99 tracks as the README says (Red Book's limit), one CUE TRACK each; a newline in a
 * title or date cannot add lines to the CUE sheet; errors without a location get the line. */
static void test_album_text(void)
{
    ct_write("al99.lua", "local album = require('album')\nlocal tracks = {}\n"
                         "for i = 1, 99 do tracks[i] = {node = sine{rate = 44100, freq_hz = 200 + i, "
                         "duration_s = 4.1, amplitude_db = -20}, title = 'T' .. i} end\n"
                         "album{title = 'Many', artist = 'x', tracks = tracks, loudness = 'none', "
                         "deliver = {'cd'}}\n");
    int rc = ct_lathe("render al99.lua -o al99 --no-cache");
    CHECK(rc == 0, "a 99-track album renders (exit %d)", rc);
    char *cue = ct_slurp("al99/cd/Many.cue", NULL);
    CHECK(cue && ct_count(cue, "  TRACK ") == 99 && strstr(cue, "TRACK 99 AUDIO"), "99 CUE tracks");
    free(cue);
    static const struct { const char *fields, *err; } rows[] = {
        {"title = 'Evil\\nFILE \"/etc/passwd\" WAVE'", "inj.lua:2: album: title: control characters"},
        {"title = 'T', date = '2025\\r\\nTRACK 99 AUDIO'", "inj.lua:2: album: date: control characters"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char script[512];
        snprintf(script, sizeof script, "local album = require('album')\n"
                 "album{%s, artist = 'x', loudness = 'none', deliver = {'cd'},\n"
                 "  tracks = {{node = sine{rate = 44100, duration_s = 4.1}, title = 'ok'}}}\n",
                 rows[i].fields);
        ct_write("inj.lua", script);
        rc = ct_lathe("render inj.lua -o inj --no-cache");
        CHECK(rc == 2 && ct_stderr_has(rows[i].err), "injection %zu refused (exit %d)", i, rc);
        CHECK(!ct_exists("inj/cd"), "injection %zu: no CUE written", i);
    }
    ct_write("enil.lua", "local x = 1\nerror(nil)\n");
    CHECK(ct_lathe("render enil.lua -o e --no-cache") == 2
          && ct_stderr_has("enil.lua:2: error() called without a message"), "error(nil) located");
    ct_write("etab.lua", "error({})\n");
    CHECK(ct_lathe("render etab.lua -o e --no-cache") == 2
          && ct_stderr_has("etab.lua:1: error() called with a table"), "error({}) located");
}

/* A WAV longer than 4 GiB of data is written as RF64 (a RIFF size would wrap and read back as
 * seconds of a long file), decided from the length before writing: shown on a short write that
 * declares 12 GiB. AIFF that large, and FLAC above its rate limit, are refused up front. */
static void test_huge_outputs(void)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/huge.wav", ct_dir);
    lathe_audio_writer_config cfg = {.container = LATHE_FMT_WAV, .bits = 24, .rate = 48000,
                                     .channels = 2, .frames = 1ull << 31};
    lathe_audio_writer *w = NULL;
    float l[100] = {0.5f}, r[100] = {-0.5f};
    const float *ch[2] = {l, r};
    int ok = lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK
             && lathe_audio_writer_write(w, ch, 100) == LATHE_OK
             && lathe_audio_writer_commit(w, err, sizeof err) == LATHE_OK;
    lathe_audio_writer_free(w);
    CHECK(ok, "writes: %s", err);
    char *head = ct_slurp("huge.wav", NULL);
    CHECK(head && memcmp(head, "RF64", 4) == 0, "the header is RF64");
    free(head);
    float *x = NULL;
    int c = 0, fmt = 0;
    CHECK(ct_read_audio("huge.wav", &x, &c, &fmt) == 100 && c == 2 && fabs((double)x[0] - 0.5) < 1e-6,
          "and reads back: 100 frames");
    free(x);
    cfg.frames = 1000;
    snprintf(path, sizeof path, "%s/small.wav", ct_dir);
    ok = lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK
         && lathe_audio_writer_commit(w, err, sizeof err) == LATHE_OK;
    lathe_audio_writer_free(w);
    head = ct_slurp("small.wav", NULL);
    CHECK(ok && head && memcmp(head, "RIFF", 4) == 0, "a small WAV stays RIFF");
    free(head);
    ct_write("aiff.lua", "output(sine{duration_s = 40000}, 'big.aiff', {bits = 24})\n");
    CHECK(ct_lathe("render aiff.lua -o hg --no-cache") == 2
          && ct_stderr_has("aiff.lua:1: output") && ct_stderr_has("does not fit an AIFF"),
          "a 10 GiB AIFF is refused when declared");
    ct_write("r768.lua", "output(sine{rate = 768000, duration_s = 0.1}, 'h.flac')\n");
    CHECK(ct_lathe("render r768.lua -o hg --no-cache") == 2
          && ct_stderr_has("FLAC stores rates up to 655350 Hz"), "768 kHz FLAC: the limit named");
    ct_write("dly.lua", "output(sine{duration_s = 1}:delay{delay_frames = 2^31 - 1}, 'd.wav')\n");
    CHECK(ct_lathe("render dly.lua -o hg --no-cache") == 2 && ct_stderr_has("out of range"),
          "a delay that cannot fit in memory is refused when the script is read");
}

/* What would fail late, or overwrite, is refused before anything renders. */
static void test_refused_up_front(void)
{
    ct_write("mk2.lua", "output(sine{duration_s = 2, amplitude_db = -14}, 'a/song.wav')\n"
                        "output(sine{duration_s = 2, amplitude_db = -15}, 'b/song.wav')\n");
    CHECK(ct_lathe("render mk2.lua -o . --no-cache") == 0, "two mixes of one name");
    static const struct { const char *cmd, *err; } rows[] = {
        {"master a/song.wav b/song.wav -o up --no-cache", "would both write up/song.*"},
        {"master a/song.wav -o up --platform spotifx --no-cache", "unknown platform 'spotifx'"},
        {"render mk2.lua -o up --cache-size nan", "--cache-size nan: expected bytes"},
        {"render mk2.lua -o up --cache-size inf", "--cache-size inf: expected bytes"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tu_run("rm -rf %s/up", ct_dir);
        int rc = ct_lathe(rows[i].cmd);
        CHECK(rc == 2 && ct_stderr_has(rows[i].err), "lathe %s: exit %d, the reason", rows[i].cmd, rc);
        CHECK(count_names("up", "") <= 2, "lathe %s: nothing rendered", rows[i].cmd);
    }
}

/* The cache folder is marked as lathe's (CACHEDIR.TAG): a folder of the user's is neither used
 * nor emptied, a new one is tagged, and clear leaves the tag and files lathe did not make. */
static void test_cache_folder_is_ours(void)
{
    ct_write("c.lua", "output(sine{duration_s = 0.2}:gain{gain_db = -1}, 'c.wav')\n");
    tu_run("mkdir -p %s/home && echo mine > %s/home/stats && echo mine > %s/home/notes.txt",
           ct_dir, ct_dir, ct_dir);
    int rc = ct_lathe("render c.lua -o co --cache home");
    CHECK(rc == 3 && ct_stderr_has("holds files lathe did not make"),
          "a folder of the user's is not used as a cache (exit %d)", rc);
    rc = ct_lathe("cache clear --cache home");
    CHECK(rc != 0, "nor cleared (exit %d)", rc);
    char *mine = ct_slurp("home/stats", NULL);
    CHECK(mine && strcmp(mine, "mine\n") == 0 && ct_exists("home/notes.txt"),
          "the user's files are untouched");
    free(mine);
    CHECK(ct_lathe("render c.lua -o co --cache newcache") == 0, "a new folder becomes a cache");
    char *tag = ct_slurp("newcache/CACHEDIR.TAG", NULL);
    CHECK(tag && strncmp(tag, "Signature: 8a477f597d28d172789f06886806bc55", 43) == 0,
          "tagged with the CACHEDIR.TAG signature");
    free(tag);
    ct_write("newcache/mine.txt", "mine");
    CHECK(ct_lathe("cache clear --cache newcache") == 0, "lathe's own cache clears");
    CHECK(ct_exists("newcache/mine.txt") && ct_exists("newcache/CACHEDIR.TAG"),
          "clear removes only what lathe made");
    CHECK(ct_lathe("render c.lua -o co --cache newcache") == 0, "and it is still a cache");
}

/* An output edited in place with its size and mtime put back is not "up to date": its bytes are
 * compared with what lathe wrote, and it is rendered again. */
static void test_edited_output(void)
{
    ct_write("ed.lua", "output(sine{duration_s = 1, amplitude_db = -6}:gain{gain_db = -1}, 'e.wav')\n");
    CHECK(ct_lathe("render ed.lua -o ed --cache edcache") == 0, "first render");
    long len = 0;
    char *orig = ct_slurp("ed/e.wav", &len);
    tu_run("cp -p %s/ed/e.wav %s/e.keep && printf 'XXXX' | dd of=%s/ed/e.wav bs=1 seek=2000 "
           "conv=notrunc 2>/dev/null && touch -r %s/e.keep %s/ed/e.wav", ct_dir, ct_dir, ct_dir,
           ct_dir, ct_dir);
    CHECK(ct_lathe("render ed.lua -o ed --cache edcache --json") == 0, "second render");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "\"skipped\": false"), "the edited output is not left alone");
    free(out);
    long len2 = 0;
    char *again = ct_slurp("ed/e.wav", &len2);
    CHECK(orig && again && len == len2 && memcmp(orig, again, (size_t)len) == 0,
          "it is rendered again, byte for byte");
    free(orig);
    free(again);
}

int main(void)
{
    ct_setup();
    test_ten_thousand_nodes();
    test_link_to_outside();
    test_planted_final_name();
    test_existing_folder_is_link();
    test_stale_temps();
    test_damaged_inputs();
    test_budget_escapes();
    test_interrupt_every_phase();
    test_sidecar_collisions();
    test_album_text();
    test_huge_outputs();
    test_refused_up_front();
    test_cache_folder_is_ours();
    test_edited_output();
    ct_cleanup();
    return tu_done();
}
