/* match: a reference made from the programme by a known EQ is recovered (1/3-octave spectra of
 * mid and side measured here with FFTW, independently of the node's own analysis); amount 0 is
 * a bit-exact null and 0.5 lands halfway in dB; mid-only and side-only differences land in their
 * own part; the range and max_db hold; latency is compensated; two renders sharing a reference
 * measure it once; bad input is refused with the right exit code. */
#include "clitest.h"
#include "testutil.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define RATE 48000.0
#define FFT_N 32768
#define THIRDS 31 /* 20 Hz .. 20 kHz, base-2 centres 1000 * 2^(j/3), j = -17..13 */

/* A check that also prints what it measured (the numbers the README quotes). */
#define CHECKV(cond, ...) \
    do { \
        printf("  " __VA_ARGS__); \
        printf("\n"); \
        CHECK(cond, __VA_ARGS__); \
    } while (0)

static double third_hz(int j) { return 1000.0 * pow(2.0, (j - 17) / 3.0); }

/* Long-term power per 1/3 octave (dB) of mid (part 0) or side (part 1) of a stereo file:
 * Welch, Hann, half overlap; band edges at the centre times 2^(+-1/6). */
static void thirds(const char *file, int part, double *db)
{
    float *x;
    int ch;
    long n = ct_read_audio(file, &x, &ch, NULL);
    double *in = fftw_alloc_real(FFT_N), pw[FFT_N / 2 + 1] = {0};
    fftw_complex *out = fftw_alloc_complex(FFT_N / 2 + 1);
    fftw_plan plan = fftw_plan_dft_r2c_1d(FFT_N, in, out, FFTW_ESTIMATE);
    for (long start = 0; n > 0 && ch == 2 && start + FFT_N <= n; start += FFT_N / 2) {
        for (int i = 0; i < FFT_N; i++) {
            double l = x[2 * (start + i)], r = x[2 * (start + i) + 1];
            in[i] = 0.5 * (part ? l - r : l + r) * (0.5 - 0.5 * cos(2 * M_PI * i / FFT_N));
        }
        fftw_execute(plan);
        for (int k = 0; k <= FFT_N / 2; k++)
            pw[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    }
    for (int j = 0; j < THIRDS; j++) {
        double lo = third_hz(j) * pow(2.0, -1.0 / 6), hi = third_hz(j) * pow(2.0, 1.0 / 6), sum = 0;
        for (int k = 1; k <= FFT_N / 2; k++)
            if (k * RATE / FFT_N >= lo && k * RATE / FFT_N < hi)
                sum += pw[k];
        db[j] = 10.0 * log10(sum + 1e-300);
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    free(x);
}

/* Largest |a - b - offset| over 60 Hz .. 12.5 kHz for mid and side together, where offset is the
 * mean difference (match keeps the programme's power; the tonal balance is what must agree). */
static double shape_error(const char *a, const char *b, double *offset_out)
{
    double da[2][THIRDS], db[2][THIRDS], mean = 0.0, worst = 0.0;
    int n = 0;
    for (int part = 0; part < 2; part++) {
        thirds(a, part, da[part]);
        thirds(b, part, db[part]);
        for (int j = 0; j < THIRDS; j++)
            if (third_hz(j) > 55 && third_hz(j) < 13000) {
                mean += da[part][j] - db[part][j];
                n++;
            }
    }
    mean /= n;
    for (int part = 0; part < 2; part++)
        for (int j = 0; j < THIRDS; j++)
            if (third_hz(j) > 55 && third_hz(j) < 13000)
                worst = fmax(worst, fabs(da[part][j] - db[part][j] - mean));
    if (offset_out)
        *offset_out = mean;
    return worst;
}

static void make_programmes(void)
{
    /* Stereo "music": a correlated pink core, uncorrelated pink width, a quiet intro. */
    ct_write("gen.lua",
             "local function prog(seed)\n"
             "  local core = noise{color = 'pink', correlated = true, seed = seed, duration_s = 24,"
             " amplitude_db = -20}\n"
             "  local wide = noise{color = 'pink', seed = seed + 1, duration_s = 24, amplitude_db = -27}\n"
             "  return mix(core, wide):fade{in_ms = 4000}\n"
             "end\n"
             "local a, b = prog(1), prog(5)\n"
             "output(a, 'prog.wav', {bits = 32})\n"
             "output(b, 'prog2.wav', {bits = 32})\n"
             "output(a:eq{ {type = 'lowshelf', freq_hz = 100, gain_db = -2},\n"
             "             {type = 'highshelf', freq_hz = 4000, gain_db = 3} }, 'ref.wav', {bits = 32})\n"
             "output(a:eq{ mode = 'side', {type = 'highshelf', freq_hz = 2000, gain_db = 4} },"
             " 'ref_side.wav', {bits = 32})\n"
             "output(a:eq{ mode = 'mid', {type = 'lowshelf', freq_hz = 250, gain_db = -3} },"
             " 'ref_mid.wav', {bits = 32})\n"
             "output(a:eq{ {type = 'lowshelf', freq_hz = 100, gain_db = -2},\n"
             "             {type = 'highshelf', freq_hz = 4000, gain_db = 3} }:resample{rate = 44100},"
             " 'ref44.wav', {bits = 32})\n"
             "output(noise{channels = 3, duration_s = 2}, 'three.wav', {bits = 32})\n");
    CHECK(ct_lathe("render gen.lua -o . --no-cache --quiet") == 0, "programmes rendered");
    ct_write("m.lua", "local x = source(param('input', 'prog.wav'))\n"
                      "output(x:match{reference = param('ref', 'ref.wav'), amount = param('amount', 1),"
                      " low_hz = param('low', 20), high_hz = param('high', 20000),"
                      " max_db = param('max', 12)}, param('out', 'm.wav'), {bits = 32})\n");
}

static int render(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "render m.lua -o . --cache cache --quiet %s", args);
    return ct_lathe(cmd);
}

static void test_recovers_known_eq(void)
{
    double off;
    double before = shape_error("prog.wav", "ref.wav", NULL);
    CHECKV(before > 2.0, "before: programme and reference differ by up to %.2f dB", before);
    CHECK(render("-D out=full.wav") == 0, "match renders");
    double after = shape_error("full.wav", "ref.wav", &off);
    CHECKV(after <= 0.5, "after: 1/3-octave mid and side within %.3f dB of the reference "
                        "(60 Hz..12.5 kHz; level offset %.2f dB)", after, off);
    double level = 0;
    shape_error("full.wav", "prog.wav", &level);
    CHECK(render("-D ref=ref44.wav -D out=full44.wav") == 0, "a 44.1 kHz reference renders");
    after = shape_error("full44.wav", "ref.wav", &off);
    CHECKV(after <= 0.5, "a 44.1 kHz reference, matched at the input's 48 kHz: within %.3f dB", after);
    CHECKV(fabs(level) < 1.0, "power about kept (mean band change %.2f dB)", level);
}

static void test_amount(void)
{
    CHECK(render("-D amount=0 -D out=zero.wav") == 0, "amount 0 renders");
    float *a, *b;
    int ch;
    long na = ct_read_audio("prog.wav", &a, &ch, NULL), nb = ct_read_audio("zero.wav", &b, &ch, NULL);
    CHECK(na > 0 && na == nb && memcmp(a, b, sizeof(float) * 2 * (size_t)na) == 0,
          "amount 0 is a bit-exact null (%ld, %ld frames)", na, nb);
    free(a);
    free(b);
    CHECK(render("-D amount=0.5 -D out=half.wav") == 0, "amount 0.5 renders");
    double p[2][THIRDS], f[2][THIRDS], h[2][THIRDS], worst = 0, big = 0;
    for (int part = 0; part < 2; part++) {
        thirds("prog.wav", part, p[part]);
        thirds("full.wav", part, f[part]);
        thirds("half.wav", part, h[part]);
        for (int j = 0; j < THIRDS; j++)
            if (third_hz(j) > 25 && third_hz(j) < 16000) {
                worst = fmax(worst, fabs((h[part][j] - p[part][j]) - 0.5 * (f[part][j] - p[part][j])));
                big = fmax(big, fabs(f[part][j] - p[part][j]));
            }
    }
    CHECKV(big > 2.0, "the full correction reaches %.2f dB", big);
    CHECKV(worst <= 0.2, "amount 0.5 lands within %.3f dB of half the full correction in dB", worst);
}

static void test_mid_side(void)
{
    const char *refs[] = {"ref_mid.wav", "ref_side.wav"};
    for (int k = 0; k < 2; k++) {
        char args[256], out[64];
        snprintf(out, sizeof out, "ms%d.wav", k);
        snprintf(args, sizeof args, "-D ref=%s -D out=%s", refs[k], out);
        double before = shape_error("prog.wav", refs[k], NULL);
        CHECK(render(args) == 0, "match to %s renders", refs[k]);
        double after = shape_error(out, refs[k], NULL);
        CHECKV(before > 2.0 && after <= 0.5, "%s: mid and side within %.3f dB (were %.2f apart)",
              refs[k], after, before);
    }
}

static void test_range_and_limit(void)
{
    CHECK(render("-D low=300 -D high=2000 -D out=range.wav") == 0, "range renders");
    double p[2][THIRDS], r[2][THIRDS], worst_out = 0;
    for (int part = 0; part < 2; part++) {
        thirds("prog.wav", part, p[part]);
        thirds("range.wav", part, r[part]);
        for (int j = 0; j < THIRDS; j++)
            if (third_hz(j) < 200 || (third_hz(j) > 3200 && third_hz(j) < 16000))
                worst_out = fmax(worst_out, fabs(r[part][j] - p[part][j]));
    }
    CHECKV(worst_out < 0.1, "outside [300, 2000] Hz (one band off the edges) nothing moves "
                           "(largest change %.3f dB)", worst_out);
    CHECK(render("-D max=1 -D out=max1.wav") == 0, "max_db 1 renders");
    double worst = 0;
    for (int part = 0; part < 2; part++) {
        thirds("max1.wav", part, r[part]);
        for (int j = 0; j < THIRDS; j++)
            if (third_hz(j) > 25 && third_hz(j) < 16000)
                worst = fmax(worst, fabs(r[part][j] - p[part][j]));
    }
    CHECKV(worst < 1.15, "max_db 1 holds every band within %.3f dB of the programme", worst);
}

static void test_latency_and_memo(void)
{
    /* Matched to itself the correction is flat: the output is the programme, in place. */
    CHECK(render("-D ref=prog.wav -D out=self.wav") == 0, "match to itself renders");
    float *a, *b;
    int ch;
    long na = ct_read_audio("prog.wav", &a, &ch, NULL), nb = ct_read_audio("self.wav", &b, &ch, NULL);
    double err = 0;
    for (long i = 0; na == nb && i < 2 * na; i++)
        err = fmax(err, fabs((double)a[i] - (double)b[i]));
    CHECKV(na == nb && err < 1e-4, "same length, sample-aligned (largest difference %.2e)", err);
    free(a);
    free(b);
    /* Two tracks, one reference (fresh cache): measured once, recalled the second time. */
    CHECK(ct_lathe_to("render m.lua -o . --cache memo --quiet --json -D out=t1.wav", "t1.json") == 0
              && ct_lathe_to("render m.lua -o . --cache memo --quiet --json -D input=prog2.wav "
                             "-D out=t2.wav", "t2.json") == 0, "two tracks rendered");
    char *j1 = ct_slurp("t1.json", NULL), *j2 = ct_slurp("t2.json", NULL);
    CHECK(j1 && strstr(j1, "\"reference_analysis\": \"measured\""), "first render measures the reference");
    CHECK(j2 && strstr(j2, "\"reference_analysis\": \"recalled\"")
              && strstr(j2, "\"input_analysis\": \"measured\""),
          "second render recalls the reference and measures its own track");
    CHECK(j1 && strstr(j1, "\"correction_mid_db\": ["), "--json carries the correction curve");
    char *html = ct_slurp("report.html", NULL);
    CHECK(html && strstr(html, "id=\"match\"") && strstr(html, "Correction applied")
              && ct_count(html, "<svg") >= 3, "report.html draws the spectra and the correction");
    free(html);
    free(j1);
    free(j2);
}

static void test_bad_input(void)
{
    CHECK(render("-D ref=missing.wav -D out=x.wav") == 3, "a missing reference exits 3");
    CHECK(render("-D ref=three.wav -D out=x.wav") == 2 && ct_stderr_has("3 channels"),
          "a 3-channel reference exits 2 naming the channels");
    CHECK(render("-D low=5000 -D high=1000 -D out=x.wav") == 2 && ct_stderr_has("low_hz"),
          "low_hz above high_hz exits 2");
    ct_write("typo.lua", "output(source('prog.wav'):match{reference = 'ref.wav', amout = 1}, 'x.wav')\n");
    CHECK(ct_lathe("render typo.lua -o . --no-cache --quiet") == 2 && ct_stderr_has("did you mean 'amount'"),
          "a misspelt parameter is refused with a suggestion");
    ct_write("noref.lua", "output(source('prog.wav'):match{amount = 1}, 'x.wav')\n");
    CHECK(ct_lathe("render noref.lua -o . --no-cache --quiet") == 2 && ct_stderr_has("reference"),
          "a match without a reference is refused");
    CHECK(!ct_exists("x.wav"), "no partial output");
}

int main(void)
{
    ct_setup();
    make_programmes();
    test_recovers_known_eq();
    test_amount();
    test_mid_side();
    test_range_and_limit();
    test_latency_and_memo();
    test_bad_input();
    ct_cleanup();
    return tu_done();
}
