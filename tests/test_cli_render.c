/* `lathe render` run as a user runs it: bit-exact paths, -j independence, latency compensation,
 * one read of the source, and every error path of design.md's exit-code table. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <sndfile.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads a whole file as float frames (interleaved); returns frames. */

static void make_inputs(void)
{
    /* A 24-bit stereo input with full-range values, and a float input with +6 dBFS overs. */
    char path[1024];
    SF_INFO info = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24};
    snprintf(path, sizeof path, "%s/in24.wav", ct_dir);
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    int buf[2 * 48000];
    uint64_t seed = 7;
    for (int i = 0; i < 2 * 48000; i++)
        buf[i] = (int)(tu_rand(&seed) * 8388607.0) * 256;
    sf_writef_int(sf, buf, 48000);
    sf_close(sf);
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    snprintf(path, sizeof path, "%s/overs.wav", ct_dir);
    sf = sf_open(path, SFM_WRITE, &info);
    float fb[2 * 4800];
    for (int i = 0; i < 2 * 4800; i++)
        fb[i] = (float)(2.0 * tu_rand(&seed)); /* up to +6 dBFS */
    sf_writef_float(sf, fb, 4800);
    sf_close(sf);
}

static void test_bit_exact(void)
{
    ct_write("copy.lua", "local mix = source(param('input', 'in24.wav'))\n"
                           "output(mix:gain{gain_db = 0.0}, 'same.wav', {bits = 24})\n"
                           "output(mix:gain{gain_db = -6.0206}, 'half.wav', {bits = 32})\n"
                           "output(mix, 'copy.flac', {bits = 24})\n");
    CHECK(ct_lathe("render copy.lua -o out --no-cache --quiet") == 0, "render copy.lua exits 0");
    float *a, *b, *c, *h;
    int ch, fmt;
    long na = ct_read_audio("in24.wav", &a, &ch, NULL), nb = ct_read_audio("out/same.wav", &b, &ch, &fmt);
    CHECK(na == 48000 && nb == na, "same length (%ld, %ld)", na, nb);
    CHECK(nb == na && memcmp(a, b, sizeof(float) * (size_t)na * 2) == 0, "24-bit through gain 0 dB is sample-identical");
    CHECK((fmt & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_24, "24-bit output");
    long nc = ct_read_audio("out/copy.flac", &c, &ch, &fmt);
    CHECK(nc == na && memcmp(a, c, sizeof(float) * (size_t)na * 2) == 0, "24-bit FLAC copy is sample-identical");
    long nh = ct_read_audio("out/half.wav", &h, &ch, NULL);
    int halves = nh == na;
    for (long i = 0; halves && i < na * 2; i++)
        halves = h[i] == a[i] * 0.5f;
    CHECK(halves, "-6.0206 dB halves every sample exactly");
    free(a); free(b); free(c); free(h);

    ct_write("overs.lua", "output(source('overs.wav'), 'overs_out.wav', {bits = 32})\n");
    CHECK(ct_lathe("render overs.lua -o out --no-cache --quiet") == 0, "float render exits 0");
    long n1 = ct_read_audio("overs.wav", &a, &ch, NULL), n2 = ct_read_audio("out/overs_out.wav", &b, &ch, NULL);
    float peak = 0;
    for (long i = 0; i < n1 * 2; i++)
        peak = a[i] > peak ? a[i] : peak;
    CHECK(n1 == n2 && memcmp(a, b, sizeof(float) * (size_t)n1 * 2) == 0 && peak > 1.5f,
          "float overs (+%.1f dBFS) survive a float->float path", tu_db(peak));
    free(a); free(b);
}

/* Renders script once with -j 1 and twice with -j 2 (a race shows as a difference between
 * runs; the second spelt -j2), and compares the space-separated outputs byte for byte. */
static int same_across_threads(const char *script, const char *files)
{
    static const char *const jobs[] = {"-j 1", "-j 2", "-j2"};
    char args[256];
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "render %s -o par%d --no-cache --quiet %s", script, k,
                 jobs[k]);
        if (ct_lathe(args) != 0)
            return 0;
    }
    return tu_run("cd %s && for f in %s; do cmp -s par0/$f par1/$f && cmp -s par0/$f par2/$f "
                  "|| exit 1; done && rm -rf par0 par1 par2", ct_dir, files) == 0;
}

static void test_threads_and_latency(void)
{
    /* Branches with and without latency; outputs must be aligned to the sample and identical
     * whatever -j is. The limiter's ceiling is above the signal, so it must pass it unchanged
     * after its lookahead latency is compensated. */
    ct_write("branches.lua",
               "local mix = source('in24.wav'):gain{gain_db = -12}\n"
               "output(mix, 'dry.wav', {bits = 32})\n"
               "output(mix:limit{ceiling_dbtp = 0.0, lookahead_ms = 5}, 'late.wav', {bits = 32})\n"
               "output(mix:resample{rate = 44100}, 'cd.wav', {bits = 24})\n");
    CHECK(same_across_threads("branches.lua", "dry.wav late.wav cd.wav"),
          "-j 1 and -j 2 outputs are byte-identical");
    /* Independent barriers (an album's tracks): materialised and analysed in parallel with -j 2,
     * identical bytes either way. */
    ct_write("tracks.lua",
               "for i = 1, 3 do\n"
               "  local t = source('in24.wav'):gain{gain_db = -6 * i}:eq{ {type = 'bell', freq_hz = 500 * i, gain_db = 2} }\n"
               "  output(t:loudness{target_lufs = -18, ceiling_dbtp = -1}, 't' .. i .. '.wav', {bits = 24})\n"
               "end\n");
    CHECK(same_across_threads("tracks.lua", "t1.wav t2.wav t3.wav"),
          "parallel materialisation gives byte-identical outputs");
    /* A release-shaped graph: the shared part and the loudness output are both read back from the
     * cache in the main pass, by two readers running side by side with -j 2. */
    ct_write("release.lua",
             "local m = source('in24.wav'):eq{ {type = 'bell', freq_hz = 300, gain_db = -2} }\n"
             "  :compress{threshold_db = -30, ratio = 2}\n"
             "output(m:loudness{target_lufs = -20, ceiling_dbtp = -1}, 's.wav', {bits = 24})\n"
             "output(m:resample{rate = 44100}:limit{ceiling_dbtp = -1}:dither{bits = 16}, 'c.wav', {bits = 16})\n"
             "output(m:stereo{bass_mono_hz = 150}, 'v.wav', {bits = 24})\n");
    CHECK(same_across_threads("release.lua", "s.wav c.wav v.wav"),
          "two cache readers in one pass with -j 2: identical to -j 1, twice");
    /* The CD and vinyl branches wait for no barrier: they are written in the pass that
     * materialises the shared part. When the loudness branch then fails, they stay written whole
     * and recorded: the fixed run leaves them alone. */
    ct_write("fails.lua",
             "local m = source('in24.wav'):compress{threshold_db = -30, ratio = 2}\n"
             "output(m:loudness{target_lufs = tonumber(param('lufs', -20)), max_gr_db = 0},\n"
             "       's.wav', {bits = 24})\n"
             "output(m:resample{rate = 44100}:dither{bits = 16}, 'c.wav', {bits = 16})\n"
             "output(m:stereo{bass_mono_hz = 150}, 'v.wav', {bits = 24})\n");
    CHECK(ct_lathe("render fails.lua -o early --cache early_cache -D lufs=-3 --quiet") == 2 &&
              ct_stderr_has("max_gr_db"), "a loudness target out of reach fails the render");
    float *c, *v;
    long nc = ct_read_audio("early/c.wav", &c, NULL, NULL);
    long nv = ct_read_audio("early/v.wav", &v, NULL, NULL);
    CHECK(nc == 44100 && nv == 48000 && !ct_exists("early/s.wav"),
          "the outputs that wait for no barrier are written whole (%ld, %ld frames)", nc, nv);
    free(c);
    free(v);
    CHECK(ct_lathe_to("render fails.lua -o early --cache early_cache --json", "early.json") == 0,
          "the reachable target renders");
    char *js = ct_slurp("early.json", NULL);
    CHECK(js && ct_count(js, "\"skipped\": true") == 2 && ct_count(js, "\"skipped\": false") == 1,
          "and leaves the two written by the failed run alone");
    free(js);
    float *d, *l;
    int ch;
    CHECK(ct_lathe("render branches.lua -o j1 --no-cache --quiet") == 0, "render the branches");
    long nd = ct_read_audio("j1/dry.wav", &d, &ch, NULL), nl = ct_read_audio("j1/late.wav", &l, &ch, NULL);
    CHECK(nd == nl && nd == 48000, "latency-compensated branch has the source's length");
    CHECK(nd == nl && memcmp(d, l, sizeof(float) * (size_t)nd * 2) == 0,
          "limiter branch (5 ms lookahead) is aligned to the sample with the dry branch");
    free(d); free(l);
}

static void test_formats_and_tags(void)
{
    /* A bare format name, numeric tag values, tags in any table order: same bytes every time. */
    ct_write("tags.lua", "warn('a note for the engineer')\n"
                           "local m = source('in24.wav')\n"
                           "local c = m:cap{max_lufs = -30}\n"
                           "output(c, 'tagged', {format = 'flac', tags = {title = 'T', tracknumber = 3, artist = 'A', album = 'B', date = '2026'}})\n"
                           "output(c:loudness{target_lufs = -32, ceiling_dbtp = -1}, 'chained.wav')\n");
    CHECK(ct_lathe("render tags.lua -o f1 --no-cache --quiet") == 0 && ct_stderr_has("a note for the engineer"),
          "format = 'flac' accepted, a barrier feeding a barrier works, warn() reaches stderr");
    CHECK(ct_lathe("render tags.lua -o f2 --no-cache --quiet") == 0, "second render");
    CHECK(tu_run("cd %s && cmp -s f1/tagged f2/tagged && cmp -s f1/chained.wav f2/chained.wav", ct_dir) == 0,
          "tagged FLAC is byte-identical across renders");
    int ch, fmt;
    float *x;
    CHECK(ct_read_audio("f1/tagged", &x, &ch, &fmt) > 0 && (fmt & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC,
          "the file is FLAC");
    free(x);
}

static void test_errors(void)
{
    CHECK(ct_lathe("render missing.lua") == 3, "missing script: exit 3");
    ct_write("syntax.lua", "local x = \noutput(\n");
    CHECK(ct_lathe("render syntax.lua --no-cache") == 2 && ct_stderr_has("syntax.lua:"), "syntax error: exit 2 with script:line");
    ct_write("unknown_node.lua", "local m = source('in24.wav')\noutput(m:reverb{}, 'x.wav')\n");
    CHECK(ct_lathe("render unknown_node.lua --no-cache") == 2 && ct_stderr_has("unknown_node.lua:2") && ct_stderr_has("reverb"),
          "unknown node: exit 2 naming the line");
    ct_write("misspelt.lua", "output(source('in24.wav'):gain{gain = -3}, 'x.wav')\n");
    CHECK(ct_lathe("render misspelt.lua --no-cache") == 2 && ct_stderr_has("did you mean 'gain_db'"), "misspelt parameter: hint");
    ct_write("range.lua", "output(source('in24.wav'):gain{gain_db = 500}, 'x.wav')\n");
    CHECK(ct_lathe("render range.lua --no-cache") == 2 && ct_stderr_has("out of range"), "out-of-range value: exit 2");
    ct_write("type.lua", "output(source('in24.wav'):gain{gain_db = 'loud'}, 'x.wav')\n");
    CHECK(ct_lathe("render type.lua --no-cache") == 2 && ct_stderr_has("gain_db"), "wrong type: exit 2");
    ct_write("noinput.lua", "output(source('nope.wav'), 'x.wav')\n");
    CHECK(ct_lathe("render noinput.lua --no-cache") == 3 && ct_stderr_has("nope.wav"), "missing input file: exit 3");
    ct_write("escape.lua", "output(source('in24.wav'), '../escape.wav')\n");
    CHECK(ct_lathe("render escape.lua -o out --no-cache") == 2 && ct_stderr_has("outside the output folder"),
          "output path leaving -o: exit 2");
    CHECK(!ct_exists("escape.wav"), "nothing written outside");
    CHECK(ct_lathe("render escape.lua -o out --allow-path . --no-cache --quiet") == 0 && ct_exists("escape.wav"),
          "--allow-path permits the folder it names");
    ct_write("nooutput.lua", "local m = source('in24.wav')\n");
    CHECK(ct_lathe("render nooutput.lua --no-cache") == 2 && ct_stderr_has("no output"), "script with no output: exit 2");
    ct_write("twice.lua", "local m = source('in24.wav')\noutput(m, 'a.wav')\noutput(m, 'a.wav')\n");
    CHECK(ct_lathe("render twice.lua --no-cache") == 2 && ct_stderr_has("two outputs"), "two outputs to one path: exit 2");
    CHECK(ct_lathe("render copy.lua -D nonsense --no-cache") == 2, "-D without =: exit 2");
    CHECK(ct_lathe("render copy.lua --frobnicate") == 2, "unknown option: exit 2");
    CHECK(ct_lathe("render") == 2, "no script: exit 2");
    CHECK(ct_lathe("frobnicate") == 2, "unknown command: exit 2");
    ct_write("loop.lua", "while true do end\n");
    CHECK(ct_lathe("render loop.lua --no-cache") == 2 && ct_stderr_has("loop.lua:1"), "infinite loop stopped at its line");
    ct_write("bomb.lua", "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n");
    CHECK(ct_lathe("render bomb.lua --no-cache") == 2 && ct_stderr_has("memory"), "memory bomb stopped");
    ct_write("sandbox.lua", "os.execute('touch pwned')\n");
    CHECK(ct_lathe("render sandbox.lua --no-cache") == 2 && !ct_exists("pwned"), "no os.execute in scripts");
    ct_write("notaudio.wav", "this is not audio at all\n");
    ct_write("notaudio.lua", "output(source('notaudio.wav'), 'x.wav')\n");
    CHECK(ct_lathe("render notaudio.lua --no-cache") == 3 && ct_stderr_has("notaudio.wav"), "non-audio .wav: exit 3");
    ct_write("ro.lua", "output(source('in24.wav'), 'x.wav')\n");
    tu_run("mkdir -p %s/ro && chmod 555 %s/ro", ct_dir, ct_dir);
    if (geteuid() != 0)
        CHECK(ct_lathe("render ro.lua -o ro --no-cache") == 3, "unwritable output folder: exit 3");
    CHECK(ct_lathe("--version") == 0, "--version exits 0");
    CHECK(ct_lathe("help gain") == 0, "help NODE exits 0");
    static const char *const commands[] = {"render", "master", "check", "analyze", "graph", "cache", "help"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char args[64];
        snprintf(args, sizeof args, "help %s", commands[i]);
        CHECK(ct_lathe(args) == 0 && tu_run("grep -q '^usage: lathe %s' %s/stdout.txt", commands[i], ct_dir) == 0,
              "lathe help %s prints its usage", commands[i]);
    }
    CHECK(ct_lathe("graph copy.lua") == 0, "graph exits 0");
    CHECK(tu_run("grep -q 'digraph' %s/stdout.txt && grep -q 'gain' %s/stdout.txt", ct_dir, ct_dir) == 0, "graph prints DOT");
}

int main(void)
{
    ct_setup();
    make_inputs();
    test_bit_exact();
    test_threads_and_latency();
    test_formats_and_tags();
    test_errors();
    ct_cleanup();
    return tu_done();
}
