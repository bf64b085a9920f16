/* cap through the node harness: a programme under both bounds passes bit for bit (gain 0 dB);
 * over a bound it comes down by exactly the gain the report names (y = x * g, each sample), the
 * gain matching the analytic oracle (a stereo 997 Hz sine of amplitude A reads 20 log10 A LUFS
 * and its true peak is A); the tighter bound wins; blocks of 4096 and 37 frames give the same
 * bits. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "nodeharness.h"
#include "engine/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FRAMES (RATE * 8)

static tu_signal stereo_sine(double amp_db)
{
    tu_signal s = tu_signal_new(RATE, 2, FRAMES);
    for (uint32_t c = 0; c < 2; c++)
        tu_sine(s.ch[c], FRAMES, 997.0, RATE, pow(10.0, amp_db / 20.0), 0.3 * c);
    return s;
}

static double report_number(const char *report, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = strstr(report, pat);
    return p ? strtod(p + strlen(pat), NULL) : (double)NAN;
}

/* Runs cap at blocks 4096 and 37; returns the gain it reports, y the 4096-frame output. */
static double run_cap(const tu_signal *x, double max_lufs, double max_dbtp, tu_signal *y)
{
    const lathe_node_desc *d = tu_node("cap");
    void *p = calloc(1, d->params_size);
    char err[256] = "", report[2048] = "", report2[2048] = "";
    tu_params_default(d, p);
    CHECK(lathe_param_set_number(lathe_params_find(d->params, "max_lufs"), p, max_lufs, err,
                                 sizeof err) == 0, "max_lufs: %s", err);
    CHECK(lathe_param_set_number(lathe_params_find(d->params, "max_dbtp"), p, max_dbtp, err,
                                 sizeof err) == 0, "max_dbtp: %s", err);
    tu_signal small;
    int rc = tu_node_run_report(d, p, x, 1, 4096, y, report, sizeof report);
    int rc2 = tu_node_run_report(d, p, x, 1, 37, &small, report2, sizeof report2);
    CHECK(rc == LATHE_OK && rc2 == LATHE_OK, "cap runs: %s", report);
    int same = rc == LATHE_OK && rc2 == LATHE_OK && y->fmt.frames == small.fmt.frames;
    for (uint32_t c = 0; same && c < 2; c++)
        same = memcmp(y->ch[c], small.ch[c], sizeof(float) * y->fmt.frames) == 0;
    CHECK(same, "cap(%g LUFS, %g dBTP): block 37 gives the bits of block 4096", max_lufs, max_dbtp);
    if (rc2 == LATHE_OK)
        tu_signal_free(&small);
    free(p);
    return report_number(report, "gain_db");
}

/* y == x * (float)10^(gain/20) for every sample (cap's own arithmetic, float by float). */
static long gain_mismatches(const tu_signal *x, const tu_signal *y, double gain_db)
{
    const float g = (float)pow(10.0, gain_db / 20.0);
    long bad = y->fmt.frames != x->fmt.frames;
    for (uint32_t c = 0; !bad && c < 2; c++)
        for (uint64_t i = 0; i < x->fmt.frames; i++)
            bad += y->ch[c][i] != x->ch[c][i] * g;
    return bad;
}

static void test_passthrough(void)
{
    tu_signal x = stereo_sine(-20.0), y; /* -20 LUFS, -20 dBTP */
    double g = run_cap(&x, -14.0, -1.0, &y);
    CHECK(g == 0.0, "under both bounds: gain %g dB, want 0", g);
    long bad = 0;
    for (uint32_t c = 0; c < 2; c++)
        bad += memcmp(x.ch[c], y.ch[c], sizeof(float) * FRAMES) != 0;
    CHECK(y.fmt.frames == FRAMES && bad == 0, "under both bounds: output = input, bit for bit");
    tu_signal_free(&y);
    tu_signal_free(&x);
}

static void test_bound(double amp_db, double max_lufs, double max_dbtp, double want_db,
                       const char *what)
{
    tu_signal x = stereo_sine(amp_db), y;
    double g = run_cap(&x, max_lufs, max_dbtp, &y);
    CHECK_NEAR(g, want_db, 0.05, what);
    CHECK(gain_mismatches(&x, &y, g) == 0, "%s: every sample is x * g exactly", what);
    tu_signal_free(&y);
    tu_signal_free(&x);
}

int main(void)
{
    test_passthrough();
    /* -10 dBFS sine: -10 LUFS, -10 dBTP */
    test_bound(-10.0, -14.0, 6.0, -4.0, "loudness bound: -10 LUFS to -14 LUFS");
    test_bound(-3.0, 0.0, -6.0, -3.0, "peak bound: -3 dBTP to -6 dBTP");
    test_bound(-10.0, -14.0, -16.0, -6.0, "the tighter bound wins (peak)");
    test_bound(-10.0, -18.0, -12.0, -8.0, "the tighter bound wins (loudness)");
    return tu_done();
}
