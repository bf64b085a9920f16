/* test_multiband: the LR4 band split sums to a flat magnitude (impulse response FFT), one band's
 * compression leaves the other bands alone, solo, block-size independence, parameter errors. */
#include "dynamics_testutil.h"
#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"

#include <fftw3.h>

static const lathe_node_desc *D;

static void *mb(const double *xo, int n_xo)
{
    void *p = dt_params(D);
    for (int k = 0; k < n_xo; k++)
        dt_push(D->params, p, "crossovers_hz", xo[k]);
    return p;
}

/* Largest |magnitude in dB| of the impulse response between 20 Hz and 20 kHz. */
static double flat_error_db(const float *h, int n, double rate)
{
    double *in = fftw_malloc(sizeof(double) * n);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
    for (int i = 0; i < n; i++)
        in[i] = h[i];
    fftw_execute(plan);
    double worst = 0.0;
    for (int k = 1; k <= n / 2; k++) {
        double f = k * rate / n;
        if (f < 20.0 || f > 20000.0)
            continue;
        double db = 10.0 * log10(out[k][0] * out[k][0] + out[k][1] * out[k][1]);
        worst = fmax(worst, fabs(db));
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    return worst;
}

static void test_flat_sum(uint32_t rate, const double *xo, int n_xo)
{
    const int n = 1 << 17; /* > 1 s: the 20 Hz region is resolved and the tail has decayed */
    void *p = mb(xo, n_xo);
    tu_signal x = tu_signal_new(rate, 2, n);
    x.ch[0][0] = x.ch[1][0] = 1.0f;
    tu_signal y = dt_run(D, p, &x, 0);
    double err = flat_error_db(y.ch[0], n, rate);
    double tail = 0.0;
    for (int i = n - 1000; i < n; i++)
        tail = fmax(tail, fabs(y.ch[0][i]));
    printf("flat sum %u Hz, %d bands: worst %.2e dB over 20 Hz-20 kHz (h[0] %.4f, tail %.0f dB)\n",
           rate, n_xo + 1, err, (double)y.ch[0][0], tu_db(tail));
    CHECK(err < 0.01, "%u Hz, %d bands: sum deviates %g dB", rate, n_xo + 1, err);
    CHECK(tu_db(tail) < -150.0, "impulse response still ringing at the end");
    /* The split is real (an allpass, not a wire): the response is not a bare impulse. */
    CHECK(fabs((double)y.ch[0][0] - 1.0) > 1e-3, "no crossover in the path?");
    CHECK(memcmp(y.ch[0], y.ch[1], sizeof(float) * n) == 0, "identical channels differ");
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static tu_signal three_tones(uint64_t frames)
{
    tu_signal s = tu_signal_new(48000, 2, frames);
    for (uint64_t i = 0; i < frames; i++) {
        double t = (double)i / 48000.0, w = 2.0 * 3.14159265358979323846;
        double v = 0.25 * (sin(w * 40.0 * t) + sin(w * 600.0 * t) + sin(w * 15000.0 * t));
        s.ch[0][i] = s.ch[1][i] = (float)v;
    }
    return s;
}

static double amp(const tu_signal *y, double f)
{
    return tu_sine_amplitude(y->ch[0] + 48000, 48000, f, 48000.0);
}

typedef struct cx {
    double re, im;
} cx;

static cx cmul(cx a, cx b) { return (cx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
static double cabs_(cx a) { return hypot(a.re, a.im); }

/* Complex response of an LR4 low-pass/high-pass/allpass (kind 0/1/2) at f. */
static cx lr4(int kind, double fc, double f)
{
    lathe_biquad s[4];
    int n = kind == 2 ? lathe_biquad_lr_allpass(s, 4, fc, 48000.0)
                      : lathe_biquad_linkwitz_riley(s, 4, kind, fc, 48000.0);
    cx r;
    lathe_biquad_response(s, n, f, 48000.0, &r.re, &r.im);
    return r;
}

/* Expected level change at f when band 2 of {200, 2000} is compressed: the neighbouring bands'
 * skirts still pass f unchanged, so the change is |B1 + g B2 + B3| / |B1 + B2 + B3|. */
static double expected_db(double f)
{
    cx b1 = cmul(lr4(0, 200, f), lr4(2, 2000, f));
    cx b2 = cmul(lr4(1, 200, f), lr4(0, 2000, f));
    cx b3 = cmul(lr4(1, 200, f), lr4(1, 2000, f));
    double peak_db = tu_db(0.25 * cabs_(b2));
    double g = lathe_db_to_gain(-(peak_db + 30.0) * 0.9); /* threshold -30, ratio 10 */
    cx num = {b1.re + g * b2.re + b3.re, b1.im + g * b2.im + b3.im};
    cx den = {b1.re + b2.re + b3.re, b1.im + b2.im + b3.im};
    return tu_db(cabs_(num) / cabs_(den));
}

static void test_one_band(void)
{
    const double xo[] = {200.0, 2000.0};
    tu_signal x = three_tones(2 * 48000);
    void *p = mb(xo, 2);
    tu_signal ref = dt_run(D, p, &x, 0);
    const lathe_param *bt;
    for (int k = 0; k < 2; k++) {
        void *b = dt_elem(D->params, p, "bands", &bt);
        if (k == 1) {
            dt_set(bt, b, "threshold_db", -30.0);
            dt_set(bt, b, "ratio", 10.0);
            dt_set(bt, b, "attack_ms", 0.05); /* fast: the GR sits at the tone's peak */
            dt_set(bt, b, "release_ms", 300.0);
        }
    }
    tu_signal y = dt_run(D, p, &x, 0);
    double d40 = tu_db(amp(&y, 40.0) / amp(&ref, 40.0));
    double d600 = tu_db(amp(&y, 600.0) / amp(&ref, 600.0));
    double d15k = tu_db(amp(&y, 15000.0) / amp(&ref, 15000.0));
    /* The 600 Hz tone peaks near -12 dBFS in band 2: about (-12 + 30) (1 - 1/10) = 16.2 dB of
     * reduction on band 2, less at the output where bands 1 and 3 leak 600 Hz. */
    double want = expected_db(600.0);
    printf("band 2 compressed: 40 Hz %+.4f dB, 600 Hz %+.3f dB (static %+.3f), 15 kHz %+.4f dB\n",
           d40, d600, want, d15k);
    CHECK(fabs(d40) < 0.02 && fabs(d15k) < 0.02, "other bands moved: %g, %g dB", d40, d15k);
    CHECK_NEAR(d600, want, 0.1, "band 2 reduction");
    tu_signal_free(&y);

    /* The report gives each band's reduction (report.html charts gr_max_db of every dynamics
     * node): band 2's near the static curve's 16 dB at the tone's peak, the others none. */
    char rep[2048];
    tu_signal yr;
    CHECK(tu_node_run_report(D, p, &x, 1, 4096, &yr, rep, sizeof rep) == LATHE_OK, "run with report");
    double g2 = tu_report_number(rep, "band2_gr_max_db"), g1 = tu_report_number(rep, "band1_gr_max_db");
    double g3 = tu_report_number(rep, "band3_gr_max_db"), top = tu_report_number(rep, "gr_max_db");
    printf("report: band gr max %.2f / %.2f / %.2f dB, node %.2f dB\n", g1, g2, g3, top);
    CHECK(g2 > 14.0 && g2 < 19.0 && g1 == 0.0 && g3 == 0.0 && top == g2,
          "per-band reduction in the report: %.2f / %.2f / %.2f", g1, g2, g3);
    CHECK(tu_report_number(rep, "band2_gr_avg_db") > 5.0 && tu_report_number(rep, "gr_avg_db") > 5.0,
          "band 2's average reduction");
    tu_signal_free(&yr);

    /* Solo band 1: the 40 Hz tone stays, the others go. */
    int *n_bands = (int *)((char *)p + lathe_params_find(D->params, "bands")->count_offset);
    *n_bands = 0;
    void *b = dt_elem(D->params, p, "bands", &bt);
    dt_set(bt, b, "solo", 1);
    y = dt_run(D, p, &x, 0);
    double s40 = tu_db(amp(&y, 40.0) / amp(&ref, 40.0));
    double s600 = tu_db(amp(&y, 600.0) / amp(&ref, 600.0));
    double s15k = tu_db(amp(&y, 15000.0) / amp(&ref, 15000.0));
    printf("solo band 1: 40 Hz %+.3f dB, 600 Hz %+.1f dB, 15 kHz %+.1f dB\n", s40, s600, s15k);
    CHECK(fabs(s40) < 0.1 && s600 < -30.0 && s15k < -100.0, "solo: %g %g %g", s40, s600, s15k);
    tu_signal_free(&y);
    tu_signal_free(&ref);
    tu_signal_free(&x);
    free(p);
}

static void test_blocks(void)
{
    const double xo[] = {120.0, 1500.0, 7000.0};
    tu_signal x = dt_program(44100, 2, 2 * 44100, 1.0);
    void *p = mb(xo, 3);
    const lathe_param *bt;
    for (int k = 0; k < 4; k++) {
        void *b = dt_elem(D->params, p, "bands", &bt);
        dt_set(bt, b, "threshold_db", -30.0 + 3 * k);
        dt_set(bt, b, "ratio", 2.0 + k);
        dt_set(bt, b, "makeup_db", 1.0);
    }
    dt_sets(D->params, p, "detector", "rms");
    dt_set(D->params, p, "link", 0.3);
    tu_signal a = dt_run(D, p, &x, 4096), b = dt_run(D, p, &x, 37);
    CHECK(tu_signal_same(&a, &b), "output depends on the block size");
    CHECK(dt_diff_db(&a, &x) > -20.0, "multiband did something");
    tu_signal_free(&a);
    tu_signal_free(&b);
    tu_signal_free(&x);
    free(p);
}

static void test_errors(void)
{
    tu_signal x = tu_signal_new(48000, 2, 100), y;
    char err[512];
    const double desc_xo[] = {2000.0, 200.0}, high[] = {15000.0};
    void *p = mb(desc_xo, 2);
    CHECK(tu_node_run(D, p, &x, 1, 0, &y, err, sizeof err) == LATHE_ERR_PARAM, "descending");
    printf("error: %s\n", err);
    free(p);
    p = mb(high, 1);
    tu_signal x32 = tu_signal_new(32000, 2, 100);
    CHECK(tu_node_run(D, p, &x32, 1, 0, &y, err, sizeof err) == LATHE_ERR_PARAM, "near Nyquist");
    tu_signal_free(&x32);
    const lathe_param *bt;
    free(p);
    p = mb(desc_xo, 1);
    for (int k = 0; k < 3; k++)
        dt_elem(D->params, p, "bands", &bt);
    CHECK(tu_node_run(D, p, &x, 1, 0, &y, err, sizeof err) == LATHE_ERR_PARAM, "3 bands, 1 xo");
    free(p);
    tu_signal_free(&x);
}

static void test_oom(void)
{
    const double xo[] = {200.0, 2000.0};
    void *p = mb(xo, 2);
    const lathe_param *bt;
    void *b = dt_elem(D->params, p, "bands", &bt);
    dt_set(bt, b, "ratio", 3.0);
    dt_set(bt, b, "threshold_db", -30.0);
    dt_check_oom(D, p, 48000);
    free(p);
}

int main(void)
{
    D = tu_node("multiband");
    CHECK(D != NULL, "multiband is registered");
    if (!D)
        return tu_done();
    const double x2[] = {1000.0}, x3[] = {150.0, 2500.0}, x4[] = {100.0, 1000.0, 8000.0};
    const uint32_t rates[] = {44100, 48000, 96000};
    for (int r = 0; r < 3; r++) {
        test_flat_sum(rates[r], x2, 1);
        test_flat_sum(rates[r], x3, 2);
        test_flat_sum(rates[r], x4, 3);
    }
    test_flat_sum(48000, (const double[]){40.0, 300.0, 16000.0}, 3);
    test_one_band();
    test_blocks();
    test_errors();
    test_oom();
    return tu_done();
}
