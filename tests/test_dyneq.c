/* test_dyneq: a dynamic EQ below threshold is an exact identity; above it a band moves by the
 * gain-computer amount (ratio, range cap, cut and boost); the de-esser preset tames a 7 kHz
 * burst and leaves the rest; a band relative to the programme cuts the same sibilance the same
 * at levels 12 dB apart and leaves a loud dull mix alone; block-size independence. */
#include "dynamics_testutil.h"
#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define PI 3.14159265358979323846

static const lathe_node_desc *D;

static void *band(void *p, const char *type, double f, double thr, double ratio, double range)
{
    const lathe_param *bt;
    void *b = dt_elem(D->params, p, "bands", &bt);
    dt_sets(bt, b, "type", type);
    dt_set(bt, b, "freq_hz", f);
    dt_set(bt, b, "threshold_db", thr);
    dt_set(bt, b, "ratio", ratio);
    dt_set(bt, b, "range_db", range);
    dt_set(bt, b, "attack_ms", 1.0);
    dt_set(bt, b, "release_ms", 200.0);
    return b;
}

static void test_null(void)
{
    void *p = dt_params(D);
    tu_signal x = dt_program(RATE, 2, 2 * RATE, 0.01); /* peaks at -40 dBFS */
    tu_signal y = dt_run(D, p, &x, 0);
    CHECK(tu_signal_same(&x, &y) && D->is_identity(p, &x.fmt), "no band: not an identity");
    tu_signal_free(&y);
    band(p, "bell", 1000.0, -30.0, 4.0, 12.0);
    band(p, "lowshelf", 100.0, -30.0, 4.0, 12.0);
    void *hs = band(p, "highshelf", 8000.0, -30.0, 4.0, 12.0);
    dt_sets(D->params, p, "preset", "deesser");
    y = dt_run(D, p, &x, 0);
    double d = dt_diff_db(&x, &y);
    printf("below threshold (4 bands): null %.1f dBFS\n", d);
    CHECK(d < -120.0 && tu_signal_same(&x, &y), "below threshold the output differs by %g dBFS", d);
    tu_signal_free(&y);
    /* The same bands do act on the same program 30 dB louder (the null above can fail). */
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t i = 0; i < x.fmt.frames; i++)
            x.ch[c][i] *= 31.6227766f;
    y = dt_run(D, p, &x, 0);
    printf("30 dB louder: differs by %.1f dBFS\n", dt_diff_db(&x, &y));
    CHECK(dt_diff_db(&x, &y) > -40.0, "loud program untouched");
    tu_signal_free(&y);
    /* A disabled band is no band. */
    const lathe_param *bt = lathe_params_find(D->params, "bands")->fields;
    dt_set(bt, hs, "enabled", 0);
    dt_sets(D->params, p, "preset", "none");
    int *n = (int *)((char *)p + lathe_params_find(D->params, "bands")->count_offset);
    *n = 0;
    size_t elem = lathe_params_find(D->params, "bands")->elem_size;
    memcpy(dt_elem(D->params, p, "bands", &bt), hs, elem);
    y = dt_run(D, p, &x, 0);
    CHECK(tu_signal_same(&x, &y) && D->is_identity(p, &x.fmt), "disabled band changed the signal");
    tu_signal_free(&y);
    tu_signal_free(&x);
    free(p);
}

/* Steady-state gain (dB) of a sine at f through the node. */
static double sine_gain_db(const void *p, double f, double amp)
{
    tu_signal x = tu_signal_new(RATE, 2, RATE);
    tu_sine(x.ch[0], RATE, f, RATE, amp, 0.0);
    tu_sine(x.ch[1], RATE, f, RATE, amp, 0.0);
    tu_signal y = dt_run(D, p, &x, 0);
    double g = tu_db(tu_sine_amplitude(y.ch[0] + RATE / 2, RATE / 2, f, RATE) / amp);
    tu_signal_free(&x);
    tu_signal_free(&y);
    return g;
}

static void test_amounts(void)
{
    /* Bell at its centre, far over threshold: the cut / boost is the range cap exactly. */
    void *p = dt_params(D);
    void *b = band(p, "bell", 1000.0, -40.0, 10.0, 6.0);
    double cut = sine_gain_db(p, 1000.0, 0.3);
    dt_sets(lathe_params_find(D->params, "bands")->fields, b, "mode", "boost");
    double boost = sine_gain_db(p, 1000.0, 0.3);
    double below = sine_gain_db(p, 1000.0, 0.003); /* -50 dBFS: under threshold */
    printf("bell 1 kHz, range 6: cut %.4f dB, boost %+.4f dB, below threshold %+.6f dB\n", cut,
           boost, below);
    CHECK_NEAR(cut, -6.0, 0.02, "bell cut at range");
    CHECK_NEAR(boost, 6.0, 0.02, "bell boost at range");
    CHECK_NEAR(below, 0.0, 1e-6, "bell below threshold");
    free(p);

    /* Low shelf on DC: the band level is the DC level, so the gain follows the static curve:
     * -8 dBFS with threshold -20, ratio 4 -> 12 * 3/4 = 9 dB of cut. */
    p = dt_params(D);
    band(p, "lowshelf", 100.0, -20.0, 4.0, 48.0);
    tu_signal x = tu_signal_new(RATE, 1, RATE / 2);
    for (uint64_t i = 0; i < x.fmt.frames; i++)
        x.ch[0][i] = (float)lathe_db_to_gain(-8.0);
    tu_signal y = dt_run(D, p, &x, 0);
    double got = tu_db(y.ch[0][RATE / 2 - 1]) - (-8.0);
    printf("lowshelf on DC at -8 dBFS: %.5f dB (static curve -9)\n", got);
    CHECK_NEAR(got, -9.0, 0.01, "lowshelf static curve");
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

/* a 300 Hz tone of amplitude a, plus a 7 kHz burst of amplitude b from 0.5 s for 0.2 s; 1 s */
static tu_signal burst_signal(double a, double b)
{
    const uint64_t n = RATE, b0 = RATE / 2, b1 = RATE / 2 + RATE / 5;
    tu_signal x = tu_signal_new(RATE, 2, n);
    for (uint64_t i = 0; i < n; i++) {
        double t = (double)i / RATE, v = a * sin(2.0 * PI * 300.0 * t);
        if (i >= b0 && i < b1)
            v += b * sin(2.0 * PI * 7000.0 * t);
        x.ch[0][i] = x.ch[1][i] = (float)v;
    }
    return x;
}

static void test_deesser(void)
{
    void *p = dt_params(D);
    dt_sets(D->params, p, "preset", "deesser");
    const uint64_t b0 = RATE / 2, b1 = RATE / 2 + RATE / 5;
    tu_signal x = burst_signal(0.25, 0.25);
    tu_signal y = dt_run(D, p, &x, 0);
    /* Measure the burst's second half (settled) and the tone before the burst. */
    uint64_t m0 = b0 + RATE / 10, len = b1 - m0;
    double s_in = tu_sine_amplitude(x.ch[0] + m0, len, 7000.0, RATE);
    double s_out = tu_sine_amplitude(y.ch[0] + m0, len, 7000.0, RATE);
    double t_in = tu_sine_amplitude(x.ch[0] + m0, len, 300.0, RATE);
    double t_out = tu_sine_amplitude(y.ch[0] + m0, len, 300.0, RATE);
    double pre = tu_db(tu_sine_amplitude(y.ch[0] + RATE / 10, RATE / 5, 300.0, RATE) / 0.25);
    printf("deesser: 7 kHz burst %+.3f dB, 300 Hz during burst %+.4f dB, before %+.6f dB\n",
           tu_db(s_out / s_in), tu_db(t_out / t_in), pre);
    /* -12 dBFS at the centre, threshold -30, 4:1 -> 13.5 dB, capped by the 10 dB range */
    CHECK_NEAR(tu_db(s_out / s_in), -10.0, 0.1, "deesser cut on the burst");
    CHECK(fabs(tu_db(t_out / t_in)) < 0.05, "deesser moved the 300 Hz tone during the burst");
    CHECK(fabs(pre) < 1e-4, "deesser moved the 300 Hz tone alone: %g dB", pre);
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

/* Cut (dB) of the 7 kHz part of burst_signal(a, b) through p, over the burst's settled second
 * half. */
static double burst_cut_db(const void *p, double a, double b)
{
    const uint64_t b0 = RATE / 2, b1 = RATE / 2 + RATE / 5;
    tu_signal x = burst_signal(a, b);
    tu_signal y = dt_run(D, p, &x, 0);
    uint64_t m0 = b0 + RATE / 10, len = b1 - m0;
    double g = tu_db(tu_sine_amplitude(y.ch[0] + m0, len, 7000.0, RATE) /
                     tu_sine_amplitude(x.ch[0] + m0, len, 7000.0, RATE));
    tu_signal_free(&x);
    tu_signal_free(&y);
    return g;
}

/* A relative band hears sibilance against the programme: the same sibilant passage 12 dB apart
 * gets the same cut (an absolute threshold would cut the louder one more), and a loud mix whose
 * 7 kHz band sits 30 dB under the programme gets none. */
static void test_relative(void)
{
    void *p = dt_params(D);
    void *b = band(p, "bell", 7000.0, -12.0, 4.0, 10.0);
    dt_set(lathe_params_find(D->params, "bands")->fields, b, "relative", 1);
    dt_set(lathe_params_find(D->params, "bands")->fields, b, "release_ms", 80.0); /* as the vinyl chain */
    double loud = burst_cut_db(p, 0.25, 0.25), quiet = burst_cut_db(p, 0.25 / 4, 0.25 / 4);
    double mix = burst_cut_db(p, 0.9, 0.9 * 0.0316);
    printf("relative de-esser: cut %+.4f dB, 12 dB quieter %+.4f dB, loud dull mix %+.4f dB\n",
           loud, quiet, mix);
    CHECK(loud < -3.0, "relative band cuts a sibilant burst (%g dB)", loud);
    CHECK(fabs(loud - quiet) < 0.01, "same cut 12 dB apart (%g vs %g dB)", loud, quiet);
    CHECK(fabs(mix) < 0.01, "no cut on a loud mix with little 7 kHz (%g dB)", mix);
    free(p);
}

static void test_blocks_and_errors(void)
{
    void *p = dt_params(D);
    void *rel = band(p, "bell", 2500.0, -20.0, 3.0, 9.0);
    dt_set(lathe_params_find(D->params, "bands")->fields, rel, "relative", 1);
    void *b = band(p, "highshelf", 6000.0, -40.0, 2.0, 6.0);
    dt_sets(lathe_params_find(D->params, "bands")->fields, b, "mode", "boost");
    dt_set(D->params, p, "link", 0.0);
    tu_signal x = dt_program(RATE, 2, RATE, 0.5);
    tu_signal a = dt_run(D, p, &x, 4096), c = dt_run(D, p, &x, 37);
    CHECK(tu_signal_same(&a, &c), "output depends on the block size");
    CHECK(dt_diff_db(&a, &x) > -30.0, "dyneq did something");
    tu_signal_free(&a);
    tu_signal_free(&c);
    tu_signal_free(&x);
    free(p);

    p = dt_params(D);
    band(p, "bell", 15000.0, -35.0, 3.0, 9.0);
    x = tu_signal_new(32000, 1, 100);
    char err[512];
    CHECK(tu_node_run(D, p, &x, 1, 0, &a, err, sizeof err) == LATHE_ERR_PARAM, "15 kHz at 32k");
    printf("error: %s\n", err);
    tu_signal_free(&x);
    free(p);
}

static void test_oom(void)
{
    void *p = dt_params(D);
    band(p, "bell", 2500.0, -35.0, 3.0, 9.0);
    dt_check_oom(D, p, RATE);
    free(p);
}

int main(void)
{
    D = tu_node("dyneq");
    CHECK(D != NULL, "dyneq is registered");
    if (!D)
        return tu_done();
    test_null();
    test_amounts();
    test_deesser();
    test_relative();
    test_blocks_and_errors();
    test_oom();
    return tu_done();
}
