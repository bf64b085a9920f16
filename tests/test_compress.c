/* test_compress: the compress node and the dynamics kernel against analytic oracles.
 *
 * Time-constant convention (as in dsp/dynamics.h): attack_ms / release_ms is the time the gain
 * reduction in dB needs to cover 63.2 % (1 - 1/e) of a step of its target. The tests drive DC
 * levels (|x| constant), so the peak and RMS detectors see exact levels and the gain is y / x. */
#include "dynamics_testutil.h"
#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/dynamics.h"

#define RATE 48000

static const lathe_node_desc *D;

/* The Giannoulis et al. (2012) gain computer, written out independently: output level in dB. */
static double oracle_out_db(double x, double t, double r, double w)
{
    if (2.0 * (x - t) < -w)
        return x;
    if (2.0 * fabs(x - t) <= w && w > 0.0)
        return x + (1.0 / r - 1.0) * (x - t + w / 2.0) * (x - t + w / 2.0) / (2.0 * w);
    return t + (x - t) / r;
}

/* Stereo DC signal: level a_db for n1 frames, then b_db for n2 frames (then c_db for n3). */
static tu_signal steps(double a_db, uint64_t n1, double b_db, uint64_t n2, double c_db, uint64_t n3)
{
    tu_signal s = tu_signal_new(RATE, 2, n1 + n2 + n3);
    for (uint64_t i = 0; i < n1 + n2 + n3; i++) {
        double db = i < n1 ? a_db : i < n1 + n2 ? b_db : c_db;
        s.ch[0][i] = s.ch[1][i] = (float)lathe_db_to_gain(db);
    }
    return s;
}

static void *comp(double thr, double ratio, double knee, double att, double rel)
{
    void *p = dt_params(D);
    dt_set(D->params, p, "threshold_db", thr);
    dt_set(D->params, p, "ratio", ratio);
    dt_set(D->params, p, "knee_db", knee);
    dt_set(D->params, p, "attack_ms", att);
    dt_set(D->params, p, "release_ms", rel);
    return p;
}

static void test_static_curve(const char *detector, double ratio, double knee)
{
    const double thr = -20.0;
    void *p = comp(thr, ratio, knee, 1.0, 20.0);
    dt_sets(D->params, p, "detector", detector);
    dt_set(D->params, p, "rms_ms", 5.0);
    double worst = 0.0;
    for (int k = 0; k < 30; k++) {
        double in_db = -40.0 + 40.0 * k / 29.0; /* dense through the knee */
        tu_signal x = steps(in_db, RATE / 4, 0, 0, 0, 0);
        tu_signal y = dt_run(D, p, &x, 0);
        double got = tu_db(y.ch[1][RATE / 4 - 1]);
        double err = fabs(got - oracle_out_db(in_db, thr, ratio, knee));
        worst = err > worst ? err : worst;
        tu_signal_free(&x);
        tu_signal_free(&y);
    }
    printf("static curve %s ratio %g knee %g: worst error %.2e dB over 30 levels\n", detector,
           ratio, knee, worst);
    CHECK(worst < 0.1, "static curve (%s, ratio %g, knee %g) off by %g dB", detector, ratio,
          knee, worst);
    free(p);
}

/* Time (ms, linearly interpolated) from frame `from` until gr crosses `level`. */
static double crossing_ms(const tu_signal *x, const tu_signal *y, uint64_t from, double level,
                          int rising)
{
    double prev = 0.0;
    for (uint64_t i = from; i < x->fmt.frames; i++) {
        double gr = tu_db(x->ch[0][i]) - tu_db(y->ch[0][i]);
        if (rising ? gr >= level : gr <= level) {
            double frac = i == from ? 0.0 : (level - prev) / (gr - prev);
            /* frame `from` already holds one update: crossing between i - 1 and i is at
             * (i - 1 - from + frac) + 1 updates */
            return ((double)(i - from) + frac) * 1000.0 / RATE;
        }
        prev = gr;
    }
    return -1.0;
}

static void test_time_constants(void)
{
    const double att = 5.0, rel = 50.0, g = 15.0; /* -20 dB threshold, 4:1, 0 dBFS: 15 dB GR */
    void *p = comp(-20.0, 4.0, 0.0, att, rel);
    tu_signal x = steps(-30.0, RATE / 10, 0.0, RATE, -30.0, RATE);
    tu_signal y = dt_run(D, p, &x, 0);
    double ta = crossing_ms(&x, &y, RATE / 10, g * (1.0 - exp(-1.0)), 1);
    double tr = crossing_ms(&x, &y, RATE / 10 + RATE, g * exp(-1.0), 0);
    printf("attack %.4f ms (set %g), release %.4f ms (set %g)\n", ta, att, tr, rel);
    CHECK(fabs(ta - att) <= 0.1 * att, "attack time constant %g ms, want %g", ta, att);
    CHECK(fabs(tr - rel) <= 0.1 * rel, "release time constant %g ms, want %g", tr, rel);
    tu_signal_free(&y);

    /* Program-dependent release: slow after sustained reduction, fast after a short burst. */
    dt_set(D->params, p, "auto_release", 1);
    y = dt_run(D, p, &x, 0);
    double tr_long = crossing_ms(&x, &y, RATE / 10 + RATE, g * exp(-1.0), 0);
    tu_signal_free(&x);
    tu_signal_free(&y);
    dt_set(D->params, p, "attack_ms", 0.5);
    x = steps(-30.0, RATE / 10, 0.0, RATE / 200, -30.0, RATE);
    y = dt_run(D, p, &x, 0);
    uint64_t end = RATE / 10 + RATE / 200 - 1; /* last frame of the burst */
    double gpk = tu_db(x.ch[0][end]) - tu_db(y.ch[0][end]);
    double tr_short = crossing_ms(&x, &y, RATE / 10 + RATE / 200, gpk * exp(-1.0), 0);
    printf("auto release: after 1 s %.1f ms, after 5 ms %.1f ms (release_ms %g)\n", tr_long,
           tr_short, rel);
    CHECK(tr_long > 2.5 * rel && tr_long < (LATHE_DYNAMICS_AUTO_SLOW + 2.0) * rel,
          "auto release after sustained GR: %g ms", tr_long);
    CHECK(tr_short < 1.3 * rel, "auto release after a 5 ms burst: %g ms", tr_short);
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

/* Largest output level after the step minus the settled output level (taken mid-way: near the
 * end the lookahead detector already sees the stream's end). */
static double overshoot_db(const tu_signal *y, uint64_t step, uint64_t n)
{
    double settled = tu_db(y->ch[0][step + n / 2]), mx = -400.0;
    for (uint64_t i = step; i < step + n / 2; i++)
        mx = fmax(mx, tu_db(y->ch[0][i]));
    return mx - settled;
}

static void test_lookahead(void)
{
    const double att = 1.0, g = 15.0;
    const uint64_t step = RATE / 10, n = RATE / 2;
    void *p = comp(-20.0, 4.0, 0.0, att, 100.0);
    tu_signal x = steps(-40.0, step, 0.0, n, 0, 0);
    tu_signal y0 = dt_run(D, p, &x, 0);
    dt_set(D->params, p, "lookahead_ms", 5.0);
    tu_signal y1 = dt_run(D, p, &x, 0);
    double o0 = overshoot_db(&y0, step, n), o1 = overshoot_db(&y1, step, n);
    /* The detector sees the step 240 frames early: GR at the step is g (1 - e^(-240/48)). */
    double want = g * exp(-(5.0 / att));
    printf("step overshoot: %.3f dB without lookahead, %.4f dB with 5 ms (analytic %.4f)\n", o0,
           o1, want);
    CHECK(o0 > 14.0, "without lookahead the step overshoots by ~15 dB, got %g", o0);
    CHECK_NEAR(o1, want, 0.01, "overshoot with 5 ms lookahead");
    CHECK(o1 < 0.15, "lookahead leaves %g dB of overshoot", o1);
    /* Latency is compensated: the step is still at frame `step`, and far before it, untouched. */
    CHECK(y1.fmt.frames == x.fmt.frames, "length %llu", (unsigned long long)y1.fmt.frames);
    CHECK(y1.ch[0][step - 1000] == x.ch[0][step - 1000], "pre-step sample changed");
    CHECK_NEAR(tu_db(y1.ch[0][step]), -15.0 + want, 0.01, "output at the step (aligned)");
    CHECK(tu_db(y1.ch[0][step - 1]) < -40.0 - 14.0, "the frame before the step is ducked");
    tu_signal_free(&x);
    tu_signal_free(&y0);
    tu_signal_free(&y1);
    free(p);
}

static void test_report(void)
{
    void *p = comp(-20.0, 4.0, 0.0, 1.0, 100.0);
    tu_signal x = steps(0.0, RATE, 0, 0, 0, 0), y;
    char rep[1024];
    CHECK(tu_node_run_report(D, p, &x, 1, 0, &y, rep, sizeof rep) == LATHE_OK, "run");
    double mx = dt_report(rep, "gr_max_db"), avg = dt_report(rep, "gr_avg_db");
    /* 15 dB held for 1 s, minus the attack's missing area 15 * tau (tau = 1 ms). */
    double want_avg = 15.0 * (1.0 - 0.001);
    printf("report: gr_max_db %.6f gr_avg_db %.6f (want 15, %.6f)\n", mx, avg, want_avg);
    CHECK_NEAR(mx, 15.0, 1e-4, "gr_max_db");
    CHECK_NEAR(avg, want_avg, 2e-3, "gr_avg_db");
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static void test_link_and_hpf(void)
{
    void *p = comp(-20.0, 4.0, 0.0, 1.0, 50.0);
    tu_signal x = steps(-40.0, RATE / 2, 0, 0, 0, 0);
    for (uint64_t i = 0; i < x.fmt.frames; i++)
        x.ch[0][i] = 1.0f; /* left at 0 dBFS, right at -40 dBFS */
    tu_signal y = dt_run(D, p, &x, 0);
    uint64_t e = x.fmt.frames - 1;
    CHECK_NEAR(tu_db(y.ch[1][e]) - tu_db(x.ch[1][e]), -15.0, 1e-3, "linked: quiet channel GR");
    tu_signal_free(&y);
    dt_set(D->params, p, "link", 0.0);
    y = dt_run(D, p, &x, 0);
    CHECK(y.ch[1][e] == x.ch[1][e], "unlinked: quiet channel untouched");
    CHECK_NEAR(tu_db(y.ch[0][e]), -15.0, 1e-3, "unlinked: loud channel");
    tu_signal_free(&y);
    dt_set(D->params, p, "link", 0.5); /* levels meet halfway in dB: (0 - 40) / 2 = -20 */
    y = dt_run(D, p, &x, 0);
    CHECK_NEAR(tu_db(y.ch[1][e]) - tu_db(x.ch[1][e]), 0.0, 1e-6, "half link: quiet at -20");
    tu_signal_free(&x);
    tu_signal_free(&y);

    /* A 30 Hz sine at 0 dBFS: 15 dB GR normally; the 200 Hz sidechain HPF hides it. */
    dt_set(D->params, p, "link", 1.0);
    x = tu_signal_new(RATE, 2, RATE);
    tu_sine(x.ch[0], RATE, 30.0, RATE, 1.0, 0.0);
    tu_sine(x.ch[1], RATE, 30.0, RATE, 1.0, 0.0);
    char rep[1024];
    tu_node_run_report(D, p, &x, 1, 0, &y, rep, sizeof rep);
    double gr_off = dt_report(rep, "gr_max_db");
    tu_signal_free(&y);
    dt_set(D->params, p, "sidechain_hpf_hz", 200.0);
    tu_node_run_report(D, p, &x, 1, 0, &y, rep, sizeof rep);
    double gr_on = dt_report(rep, "gr_max_db");
    printf("30 Hz at 0 dBFS: GR max %.2f dB without HPF, %.2f dB with 200 Hz HPF\n", gr_off, gr_on);
    CHECK(gr_off > 14.0 && gr_on < 0.5, "sidechain HPF: %g -> %g dB", gr_off, gr_on);
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static void test_midside(void)
{
    /* Pure side signal (R = -L) at 0 dBFS: in mid/side only S is compressed, and L, R keep
     * their polarity relation exactly. */
    void *p = comp(-20.0, 4.0, 0.0, 1.0, 50.0);
    dt_sets(D->params, p, "mode", "midside");
    tu_signal x = tu_signal_new(RATE, 2, RATE / 2);
    for (uint64_t i = 0; i < x.fmt.frames; i++) {
        x.ch[0][i] = 1.0f;
        x.ch[1][i] = -1.0f;
    }
    tu_signal y = dt_run(D, p, &x, 0);
    uint64_t e = x.fmt.frames - 1;
    CHECK_NEAR(tu_db(y.ch[0][e]), -15.0, 1e-3, "midside: side compressed");
    CHECK(y.ch[0][e] == -y.ch[1][e], "midside: still pure side");
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static void test_blocks_and_null(void)
{
    tu_signal x = dt_program(RATE, 2, 3 * RATE, 2.0);
    void *p = comp(-18.0, 3.0, 6.0, 3.0, 80.0);
    dt_sets(D->params, p, "detector", "rms");
    dt_sets(D->params, p, "mode", "midside");
    dt_set(D->params, p, "lookahead_ms", 3.0);
    dt_set(D->params, p, "sidechain_hpf_hz", 80.0);
    dt_set(D->params, p, "link", 0.5);
    dt_set(D->params, p, "auto_release", 1);
    dt_set(D->params, p, "mix", 0.7);
    dt_set(D->params, p, "makeup_db", 4.0);
    tu_signal a = dt_run(D, p, &x, 4096), b = dt_run(D, p, &x, 37), c = dt_run(D, p, &x, 1000);
    CHECK(tu_signal_same(&a, &b) && tu_signal_same(&a, &c), "output depends on the block size");
    CHECK(dt_diff_db(&a, &x) > -20.0, "the compressor did something");
    tu_signal_free(&a);
    tu_signal_free(&b);
    tu_signal_free(&c);
    free(p);

    /* Neutral: ratio 1 / threshold 0 (defaults), alone and with mix, link, lookahead, mid/side. */
    p = dt_params(D);
    a = dt_run(D, p, &x, 0);
    double d0 = dt_diff_db(&a, &x);
    tu_signal_free(&a);
    dt_set(D->params, p, "mix", 0.3);
    dt_set(D->params, p, "lookahead_ms", 2.0);
    dt_sets(D->params, p, "mode", "midside");
    dt_set(D->params, p, "threshold_db", -30.0);
    a = dt_run(D, p, &x, 0);
    double d1 = dt_diff_db(&a, &x);
    printf("neutral null: %.1f dBFS (defaults), %.1f dBFS (mix, lookahead, midside)\n", d0, d1);
    CHECK(d0 < -120.0 && d1 < -120.0, "neutral settings do not null: %g, %g dBFS", d0, d1);
    CHECK(D->is_identity(p, &x.fmt), "is_identity at ratio 1");
    tu_signal_free(&a);
    tu_signal_free(&x);
    free(p);
}

static void test_errors(void)
{
    void *p = comp(-20.0, 2.0, 0.0, 1.0, 50.0);
    dt_sets(D->params, p, "mode", "midside");
    tu_signal x = tu_signal_new(RATE, 1, 100), y;
    char err[512];
    CHECK(tu_node_run(D, p, &x, 1, 0, &y, err, sizeof err) != LATHE_OK, "midside on mono");
    tu_signal_free(&x);
    free(p);
}

static void test_oom(void)
{
    void *p = comp(-20.0, 4.0, 0.0, 1.0, 50.0);
    dt_set(D->params, p, "lookahead_ms", 1.0);
    dt_set(D->params, p, "sidechain_hpf_hz", 100.0);
    dt_check_oom(D, p, RATE);
    free(p);
}

int main(void)
{
    D = tu_node("compress");
    CHECK(D != NULL, "compress is registered");
    if (!D)
        return tu_done();
    test_static_curve("peak", 4.0, 6.0);
    test_static_curve("peak", 2.0, 0.0);
    test_static_curve("rms", 8.0, 12.0);
    test_time_constants();
    test_lookahead();
    test_report();
    test_link_and_hpf();
    test_midside();
    test_blocks_and_null();
    test_errors();
    test_oom();
    return tu_done();
}
