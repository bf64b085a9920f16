/* Bad input, run through the CLI as a user would: one table row per case with the command, the
 * exit code of design.md's table, a piece of the one stderr line, and the files that may exist
 * afterwards. After every row: nothing else in the output folder (no partial file at a final
 * path, no temp file left), no spill folder left in $TMPDIR, and every cache entry still opens
 * through the cache API. Interrupts (SIGINT) exit 130, the shell's code for it. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "cachecheck.h"

#include <sndfile.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *dir, *bin; /* the scratch folder and binary of clitest.h */
static int mounted_ro, mounted_full;

typedef struct bcase {
    const char *name;
    const char *script;  /* written to case.lua when not NULL */
    const char *cmd;     /* after the binary; run in dir */
    int exit_code;
    const char *err;     /* must appear in stderr; NULL: stderr must be empty */
    const char *outputs; /* space-separated names allowed (and required) in the scanned folder */
    int (*setup)(void);  /* non-zero: skip the row (not possible here, e.g. not root) */
    const char *prefix;  /* shell words before the binary (ulimit) */
    const char *scan;    /* folder to scan; NULL: out */
} bcase;

static void write_text(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void write_bytes(const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (n)
        fwrite(p, 1, n, f);
    fclose(f);
}

static long read_all(const char *name, unsigned char **out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    n = (long)fread(*out, 1, (size_t)n, f);
    fclose(f);
    return n;
}

enum { SIG_SINE, SIG_SILENCE, SIG_DENORMAL, SIG_NAN, SIG_INF, SIG_ONE_CHANNEL };

/* A 1 kHz sine at 0.1 peak (-20 dBFS) in every channel, or a special pattern. */
static void make_wav(const char *name, int ch, int rate, int format, long frames, int sig, int arg)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "cannot make %s: %s\n", name, sf_strerror(NULL));
        return;
    }
    float *x = calloc((size_t)(frames * ch), sizeof *x);
    for (long i = 0; i < frames; i++)
        for (int c = 0; c < ch; c++) {
            float s = (float)(0.1 * sin(2.0 * M_PI * 1000.0 * (double)i / rate));
            float v = sig == SIG_SINE ? s : sig == SIG_DENORMAL ? 1e-40f
                    : sig == SIG_ONE_CHANNEL ? (c == arg ? s : 0.0f)
                    : sig == SIG_NAN || sig == SIG_INF ? 0.1f : 0.0f;
            x[i * ch + c] = v;
        }
    if (sig == SIG_NAN)
        x[1234 * ch + 1] = NAN; /* frame 1234, channel 2 */
    if (sig == SIG_INF)
        x[77 * ch + 0] = INFINITY; /* frame 77, channel 1 */
    sf_writef_float(sf, x, frames);
    sf_close(sf);
    free(x);
}

static void make_inputs(void)
{
    const int w16 = SF_FORMAT_WAV | SF_FORMAT_PCM_16, w24 = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    const int wf = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    make_wav("ok.wav", 2, 48000, w16, 48000, SIG_SINE, 0);
    make_wav("mono.wav", 1, 48000, w16, 48000, SIG_SINE, 0);
    make_wav("surround.wav", 6, 48000, w24, 48000, SIG_SINE, 0);
    make_wav("nine.wav", 9, 48000, w16, 4800, SIG_SINE, 0);
    make_wav("u8.wav", 2, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 48000, SIG_SINE, 0);
    make_wav("r384k.wav", 2, 384000, w24, 38400, SIG_SINE, 0);
    make_wav("r4k.wav", 2, 4000, w16, 4000, SIG_SINE, 0);
    make_wav("r44k.wav", 2, 44100, w16, 44100, SIG_SINE, 0);
    make_wav("oneframe.wav", 2, 48000, w16, 1, SIG_SINE, 0);
    make_wav("nan.wav", 2, 48000, wf, 4800, SIG_NAN, 0);
    make_wav("inf.wav", 2, 48000, wf, 4800, SIG_INF, 0);
    make_wav("denormal.wav", 2, 48000, wf, 48000, SIG_DENORMAL, 0);
    make_wav("silence.wav", 2, 48000, w16, 48000, SIG_SILENCE, 0);
    make_wav("ok.flac", 2, 48000, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 48000, SIG_SINE, 0);
    for (int c = 0; c < 6; c++) {
        char name[32];
        snprintf(name, sizeof name, "ch%d.wav", c);
        make_wav(name, 6, 48000, w24, 96000, SIG_ONE_CHANNEL, c);
    }
    unsigned char *b;
    long n = read_all("ok.wav", &b);
    write_bytes("cut_header.wav", b, 30);
    write_bytes("cut_data.wav", b, 44 + 1000);
    free(b);
    n = read_all("ok.flac", &b);
    write_bytes("cut.flac", b, (size_t)n / 3);
    free(b);
    write_bytes("empty.wav", "", 0);
    write_text("text.wav", "Dear mastering engineer, this is not audio at all.\n");
    tu_run("mkdir -p %s/folder.wav %s/tmp %s/ref", dir, dir, dir);
    write_text("in.lua", "output(source(param('input', 'ok.wav')):gain{gain_db = -1}, 'out.wav', {bits = 24})\n");
    /* A branch point (stored) and a loudness barrier (materialised, analysis blob). */
    write_text("good.lua", "local m = source('ok.wav'):gain{gain_db = -2}\n"
                           "output(m:loudness{target_lufs = -18}, 'a.wav', {bits = 24})\n"
                           "output(m:gain{gain_db = -3}, 'b.wav', {bits = 24})\n");
    write_text("long.lua", "output(sine{duration_s = 3600}:gain{gain_db = -1}, 'long.wav')\n");
    write_text("longbar.lua", "output(sine{duration_s = 3600}:loudness{target_lufs = -20}, 'long.wav')\n");
    tu_run("cd %s && %s render good.lua -o ref --no-cache --quiet", dir, bin);
}

/* ---- setups for rows that need more than files ------------------------------------------------ */

static int setup_corrupt_cache(void)
{
    /* Fill the cache, then damage every entry: flip a byte in the odd ones, cut the even ones. */
    if (tu_run("cd %s && %s render good.lua -o warm --cache ccache --quiet", dir, bin) != 0)
        return 1;
    return tu_run("cd %s/ccache/v1 && i=0; for f in */*.?; do i=$((i+1)); s=$(stat -c %%s $f); "
                  "if [ $((i%%2)) = 1 ]; then printf '\\377' | dd of=$f bs=1 seek=$((s/2+3)) "
                  "conv=notrunc status=none; else truncate -s $((s/2)) $f; fi; done; [ $i -ge 3 ]",
                  dir) != 0;
}

static int setup_ro_out(void)
{
    /* As root a mode bit stops nothing: a read-only tmpfs does. */
    tu_run("mkdir -p %s/ro", dir);
    if (geteuid() != 0)
        return tu_run("chmod 555 %s/ro", dir) != 0;
    mounted_ro = tu_run("mount -t tmpfs -o ro,size=1m tmpfs %s/ro 2>/dev/null", dir) == 0;
    return !mounted_ro;
}

static int setup_full_disk(void)
{
    tu_run("mkdir -p %s/full", dir);
    if (geteuid() != 0)
        return 1;
    mounted_full = tu_run("mount -t tmpfs -o size=64k tmpfs %s/full 2>/dev/null", dir) == 0;
    return !mounted_full;
}

static int setup_ro_cache(void)
{
    tu_run("mkdir -p %s/rocache", dir);
    if (geteuid() != 0)
        return tu_run("chmod 555 %s/rocache", dir) != 0;
    return tu_run("mount -t tmpfs -o ro,size=1m tmpfs %s/rocache 2>/dev/null", dir) != 0;
}

#define R "render case.lua -o out --cache cache"
#define IN "render in.lua -o out --cache cache -D input="
#define OUT_ONLY "out.wav"

/* Rows give only the fields they need. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const bcase cases[] = {
    /* Inputs that cannot be read: exit 3, the file named. */
    {"missing file", NULL, IN "missing.wav", 3, "missing.wav: cannot open", ""},
    {"directory instead of file", NULL, IN "folder.wav", 3, "is a directory", ""},
    {"zero-length file", NULL, IN "empty.wav", 3, "empty file", ""},
    {"truncated WAV header", NULL, IN "cut_header.wav", 3, "cut_header.wav: not a readable audio file", ""},
    {"truncated WAV data", NULL, IN "cut_data.wav", 3, "cut_data.wav: truncated", ""},
    {"truncated FLAC", NULL, IN "cut.flac", 3, "cut.flac", ""},
    {"non-audio file named .wav", NULL, IN "text.wav", 3, "text.wav: not a readable audio file", ""},
    {"9 channels", NULL, IN "nine.wav", 3, "9 channels (1 to 8 supported)", ""},
    {"4 kHz sample rate", NULL, IN "r4k.wav", 3, "sample rate 4000 Hz out of range", ""},
    {"NaN sample", NULL, IN "nan.wav", 3, "NaN or infinite sample at frame 1234, channel 2", ""},
    {"Inf sample", NULL, IN "inf.wav", 3, "NaN or infinite sample at frame 77, channel 1", ""},
    {"analyze: NaN sample", NULL, "analyze nan.wav", 3, "at frame 1234, channel 2", ""},
    {"analyze: truncated data", NULL, "analyze cut_data.wav", 3, "truncated", ""},
    {"analyze: missing file", NULL, "analyze missing.wav", 3, "missing.wav", ""},
    /* Unusual but valid inputs: rendered. */
    {"1-frame file", NULL, IN "oneframe.wav", 0, NULL, OUT_ONLY},
    {"1-frame file through a lookahead limiter",
     "output(source('oneframe.wav'):limit{lookahead_ms = 5}, 'out.wav')\n", R, 0, NULL, OUT_ONLY},
    {"mono file", NULL, IN "mono.wav", 0, NULL, OUT_ONLY},
    {"5.1 file", NULL, IN "surround.wav", 0, NULL, OUT_ONLY},
    {"8-bit file", NULL, IN "u8.wav", 0, NULL, OUT_ONLY},
    {"384 kHz file", NULL, IN "r384k.wav", 0, NULL, OUT_ONLY},
    {"denormal samples", NULL, IN "denormal.wav", 0, NULL, OUT_ONLY},
    {"silence only: render", NULL, IN "silence.wav", 0, NULL, OUT_ONLY},
    {"silence only: normalize refuses",
     "output(source('silence.wav'):normalize{target_lufs = -14}, 'out.wav')\n", R, 2, "silent", ""},
    {"silence only: loudness refuses",
     "output(source('silence.wav'):loudness{target_lufs = -14}, 'out.wav')\n", R, 2, "silent", ""},
    {"mismatched rates in an album", "output(mix(source('ok.wav'), source('r44k.wav')), 'out.wav')\n",
     R, 2, "input 2 is 44100 Hz", ""},
    /* Outputs that cannot be written: exit 3, nothing at the final path. */
    {"unwritable output folder", NULL, "render in.lua -o ro --cache cache", 3, "ro", "",
     setup_ro_out, NULL, "ro"},
    {"output folder is a file", NULL, "render in.lua -o text.wav --cache cache", 3, "not a folder", ""},
    {"output path equal to the input path", "output(source('ok.wav'):gain{gain_db = -6}, 'ok.wav')\n",
     "render case.lua -o . --cache cache", 2, "refusing to overwrite a source", ""},
    {"output path equal to the input, spelt differently",
     "output(source('ok.wav'):gain{gain_db = -6}, '../ok.wav')\n",
     "render case.lua -o out --allow-path . --cache cache", 2, "refusing to overwrite a source", ""},
    {"file size limit (ulimit -f)", NULL, IN "ok.wav", 3, "out.wav: write failed", "", NULL,
     "ulimit -f 64;"},
    {"disk full (64 KiB tmpfs)", NULL, "render in.lua -o full --cache cache", 3, "write failed", "",
     setup_full_disk, NULL, "full"},
    /* FLAC is written by libFLAC's callbacks: 4 s of white noise is far above 64 KiB */
    {"file size limit, FLAC", "output(noise{duration_s = 4}, 'out.flac')\n", R, 3,
     "out.flac: write failed", "", NULL, "ulimit -f 64;"},
    {"unknown output format", "output(source('ok.wav'), 'out.m4a')\n", R, 2, "unknown format", ""},
    {"32-bit FLAC", "output(source('ok.wav'), 'out.flac', {bits = 32})\n", R, 2, "bits 32 not available", ""},
    {"20-bit output", "output(source('ok.wav'), 'out.wav', {bits = 20})\n", R, 2, "bits must be 16, 24 or 32", ""},
    {"absolute path outside", "output(source('ok.wav'), '/tmp/lathe-escape.wav')\n", R, 2,
     "outside the output folder", ""},
    /* Scripts: exit 2 naming script and line. */
    {"missing script", NULL, "render nope.lua -o out --cache cache", 3, "nope.lua: cannot read the script", ""},
    {"script is a folder", NULL, "render folder.wav -o out --cache cache", 3, "cannot read the script", ""},
    {"script syntax error", "local x = \noutput(\n", R, 2, "case.lua:", ""},
    {"script runtime error", "local m = source('ok.wav')\nlocal x = nil\nx.y = 1\n", R, 2, "case.lua:3:", ""},
    {"script error()", "error('the mix is late')\n", R, 2, "case.lua:1: the mix is late", ""},
    {"unknown node", "output(source('ok.wav'):reverb{}, 'out.wav')\n", R, 2, "reverb", ""},
    {"misspelt parameter", "output(source('ok.wav'):gain{gian_db = -3}, 'out.wav')\n", R, 2,
     "did you mean 'gain_db'", ""},
    {"out-of-range value", "output(source('ok.wav'):gain{gain_db = 500}, 'out.wav')\n", R, 2, "out of range", ""},
    {"wrong type", "output(source('ok.wav'):gain{gain_db = 'loud'}, 'out.wav')\n", R, 2, "gain_db", ""},
    {"freq above Nyquist", "output(source('ok.wav'):eq{{type = 'bell', freq_hz = 30000, gain_db = 1}}, 'out.wav')\n",
     R, 2, "freq", ""},
    {"cycle: a node used before it exists",
     "local a = source('ok.wav')\nlocal b = mix(a, c)\nlocal c = b:gain{}\noutput(c, 'out.wav')\n", R, 2,
     "case.lua:2:", ""},
    {"cycle: a node fed to itself", "local a = source('ok.wav')\na = a:gain{gain_db = a}\noutput(a, 'out.wav')\n",
     R, 2, "case.lua:2:", ""},
    {"output with no input", "output(nil, 'out.wav')\n", R, 2, "case.lua:1:", ""},
    {"output of a number", "output(42, 'out.wav')\n", R, 2, "case.lua:1:", ""},
    {"two outputs to one path", "local m = source('ok.wav')\noutput(m, 'out.wav')\noutput(m:gain{}, './out.wav')\n",
     R, 2, "two outputs", ""},
    {"no output", "local m = source('ok.wav')\n", R, 2, "no output", ""},
    {"infinite loop", "local n = 0\nwhile true do n = n + 1 end\n", R, 2, "case.lua:2:", ""},
    {"memory bomb", "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 1 << 20) .. i end\n", R, 2,
     "case.lua:2: script memory limit", ""},
    {"os.execute", "os.execute('touch pwned')\n", R, 2, "case.lua:1:", ""},
    {"io.open for writing", "io.open('pwned', 'w')\n", R, 2, "case.lua:1:", ""},
    {"load of bytecode", "local f = load(string.dump(function() end))\n", R, 2, "case.lua:1:", ""},
    {"debug library", "debug.sethook()\n", R, 2, "case.lua:1:", ""},
    {"require outside", "require('../../etc/passwd')\n", R, 2, "not a module name", ""},
    {"-D with bad syntax", NULL, "render in.lua -o out --cache cache -D =3", 2, "expected name=value", ""},
    {"-D not a number", "output(source('ok.wav'):gain{gain_db = param('g', 0)}, 'out.wav')\n",
     R " -D g=loud", 2, "expected a number", ""},
    {"unknown option", NULL, "render in.lua --frobnicate", 2, "unknown option --frobnicate", ""},
    /* The cache: damaged entries are misses, never wrong output, and said so; an unusable cache
     * is refused. */
    {"corrupted cache entries", NULL, "render good.lua -o warm --cache ccache --quiet", 0,
     "bad cache entr",
     "a.wav b.wav", setup_corrupt_cache, NULL, "warm"},
    {"cache folder is a file", NULL, "render in.lua -o out --cache text.wav", 3, "text.wav", ""},
    {"cache folder not writable", NULL, "render in.lua -o out --cache rocache", 3, "rocache", "",
     setup_ro_cache},
    /* Interrupts: clean stop, temp files and spill folders removed. */
    {"SIGINT during a render", NULL,
     "render long.lua -o out --no-cache & p=$!; sleep 0.7; kill -INT $p; wait $p", 130, "interrupted", ""},
    {"SIGINT during a barrier pass", NULL,
     "render longbar.lua -o out --no-cache & p=$!; sleep 0.7; kill -INT $p; wait $p", 130, "interrupted", ""},
    {"SIGTERM during a cached render", NULL,
     "render long.lua -o out --cache cache & p=$!; sleep 0.7; kill -TERM $p; wait $p", 130, "interrupted", ""},
};
#pragma GCC diagnostic pop

/* ---- checks after every row ----------------------------------------------------------------- */

static int one_line_stderr(const char *want, int expect_empty)
{
    unsigned char *b;
    long n = read_all("stderr.txt", &b);
    if (n < 0)
        return 0;
    b[n] = 0;
    int lines = 0;
    for (long i = 0; i < n; i++)
        lines += b[i] == '\n';
    int ok = expect_empty ? n == 0 : lines == 1 && b[n - 1] == '\n' && strstr((char *)b, want);
    if (!ok)
        fprintf(stderr, "  stderr (%d lines) was: %s\n", lines, (char *)b);
    free(b);
    return ok;
}

/* Every name in folder must be listed in allowed, and every listed name present. */
static int folder_holds(const char *folder, const char *allowed)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, folder);
    DIR *d = opendir(path);
    int found = 0, want = 0, ok = 1;
    for (const char *p = allowed; *p; p++)
        want += (p == allowed || p[-1] == ' ') && *p != ' ';
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t n = strlen(e->d_name);
        const char *hit = strstr(allowed, e->d_name);
        if (hit && (hit == allowed || hit[-1] == ' ') && (hit[n] == ' ' || hit[n] == 0)) {
            found++;
        } else if (!strcmp(e->d_name, "report.html") && *allowed) {
            continue; /* the run report beside a successful render's outputs */
        } else {
            fprintf(stderr, "  unexpected file %s/%s\n", folder, e->d_name);
            ok = 0;
        }
    }
    if (d)
        closedir(d);
    return ok && found == want;
}

static void run_case(const bcase *c)
{
    if (c->setup && c->setup()) {
        printf("skip: %s (needs root or a writable mount)\n", c->name);
        return;
    }
    if (c->script)
        write_text("case.lua", c->script);
    tu_run("rm -rf %s/out", dir);
    unsigned char *before = NULL;
    long n_before = read_all("ok.wav", &before);
    int code = tu_run("cd %s && { %s %s %s; } >%s/stdout.txt 2>%s/stderr.txt", dir,
                      c->prefix ? c->prefix : "", bin, c->cmd, dir, dir);
    CHECK(code == c->exit_code, "%s: exit %d (want %d)", c->name, code, c->exit_code);
    CHECK(one_line_stderr(c->err ? c->err : "", c->err == NULL),
          "%s: %s on stderr", c->name, c->err ? c->err : "nothing");
    const char *scan = c->scan ? c->scan : "out";
    CHECK(folder_holds(scan, c->outputs), "%s: %s holds only {%s}", c->name, scan, c->outputs);
    CHECK(folder_holds("tmp", ""), "%s: no spill folder left in $TMPDIR", c->name);
    unsigned char *after = NULL;
    long n_after = read_all("ok.wav", &after);
    CHECK(n_before == n_after && !memcmp(before, after, (size_t)n_after), "%s: input untouched", c->name);
    free(before);
    free(after);
    char cache[600];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    cc_result cr = {0};
    int walked = cc_verify(cache, &cr) == 0;
    CHECK(walked && cr.bad == 0 && cr.temps == 0 && cr.strays == 0,
          "%s: cache valid (%d entries, %d bad, %d temps, %d strays)", c->name, cr.entries, cr.bad,
          cr.temps, cr.strays);
}

/* ---- rows whose result needs a measurement -------------------------------------------------- */

static double json_number(const char *key)
{
    unsigned char *b;
    long n = read_all("stdout.txt", &b);
    if (n < 0)
        return NAN;
    b[n] = 0;
    char *p = strstr((char *)b, key);
    double v = NAN;
    if (p && (p = strchr(p, ':')) != NULL && strncmp(p + 1, " null", 5) != 0)
        v = strtod(p + 1, NULL);
    free(b);
    return v;
}

static void test_measured(void)
{
    /* 5.1: BS.1770 weights L R C 1.0, LFE excluded, Ls Rs 1.41 (+1.49 dB). A -20 dBFS 1 kHz sine
     * in one full-range channel reads -23.01 LUFS (the 1 kHz K-weighting gain cancels -0.691). */
    const double want[6] = {-23.01, -23.01, -23.01, NAN, -21.52, -21.52};
    for (int c = 0; c < 6; c++) {
        tu_run("cd %s && %s analyze --json ch%d.wav >stdout.txt 2>stderr.txt", dir, bin, c);
        double got = json_number("\"integrated_lufs\"");
        if (isnan(want[c]))
            CHECK(isnan(got), "5.1: LFE-only signal has no loudness (null), got %.2f", got);
        else
            CHECK_NEAR(got, want[c], 0.05, "5.1: channel loudness with BS.1770 weight");
    }
    SF_INFO info = {0};
    char path[1024];
    tu_run("cd %s && %s render in.lua -D input=surround.wav -o s51 --no-cache --quiet", dir, bin);
    snprintf(path, sizeof path, "%s/s51/out.wav", dir);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    CHECK(sf && info.channels == 6 && info.frames == 48000, "5.1 renders 6 channels, every frame");
    if (sf)
        sf_close(sf);
    tu_run("cd %s && %s render in.lua -D input=oneframe.wav -o one --no-cache --quiet", dir, bin);
    snprintf(path, sizeof path, "%s/one/out.wav", dir);
    memset(&info, 0, sizeof info);
    sf = sf_open(path, SFM_READ, &info);
    CHECK(sf && info.frames == 1, "1-frame input gives a 1-frame output");
    if (sf)
        sf_close(sf);
    tu_run("cd %s && %s analyze --json silence.wav >stdout.txt 2>stderr.txt", dir, bin);
    CHECK(tu_run("grep -q '\"integrated_lufs\": null' %s/stdout.txt", dir) == 0,
          "silence: integrated loudness is null");
    CHECK(tu_run("head -c1 %s/stdout.txt | grep -q '\\['", dir) == 0,
          "analyze --json of one file is an array, as for several");
    /* The corrupted-cache row: every damaged entry was found and replaced (the re-render looked
     * each one up), and what came out equals a cache-less render. */
    char cache[600];
    snprintf(cache, sizeof cache, "%s/ccache", dir);
    cc_result cr = {0};
    int walked = cc_verify(cache, &cr) == 0;
    CHECK(walked && cr.entries >= 3 && cr.temps == 0, "damaged cache walked (%d entries, %d found bad "
          "and removed: entries written blind over a damaged one stay until looked up)",
          cr.entries, cr.bad);
    walked = cc_verify(cache, &cr) == 0;
    CHECK(walked && cr.bad == 0, "after one look-up every entry left verifies (%d entries)", cr.entries);
    CHECK(tu_run("cd %s && cmp -s ref/a.wav warm/a.wav && cmp -s ref/b.wav warm/b.wav", dir) == 0,
          "render through a damaged cache is byte-identical to a cache-less render");
    tu_run("cd %s && %s render good.lua -o again --cache cache --quiet", dir, bin);
    CHECK(tu_run("cd %s && cmp -s ref/a.wav again/a.wav && cmp -s ref/b.wav again/b.wav", dir) == 0,
          "render through the shared cache after every row is byte-identical too");
}

int main(void)
{
    ct_setup();
    dir = ct_dir;
    bin = ct_bin;
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    make_inputs();
    setenv("TMPDIR", tmp, 1);
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        run_case(&cases[i]);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (dt > 1.0)
            printf("slow row (%.1f s): %s\n", dt, cases[i].name);
    }
    CHECK(n >= 40, "%d bad-input cases in the table", n);
    test_measured();
    CHECK(tu_run("test ! -e %s/pwned && test ! -e /tmp/lathe-escape.wav", dir) == 0,
          "no script wrote outside its sandbox");
    tu_run("umount %s/ro %s/full %s/rocache 2>/dev/null", dir, dir, dir);
    ct_cleanup();
    return tu_done();
}
