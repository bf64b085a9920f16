/* test_stereo: the stereo node. Neutral settings are a bit-exact copy; bass_mono_hz = 150 removes
 * side content at 60 Hz by >= 40 dB and leaves it within 0.5 dB from 300 Hz up, keeping mid and
 * side in phase there (a left-only signal stays left-only), in both modes; the linear mode keeps
 * the side's phase and magnitude exactly above twice the frequency (0 degrees at 500 Hz and
 * 1 kHz, within 0.01 dB), removes it below the frequency, and its latency is compensated (an
 * impulse stays on its sample); width, balance, polarity, swap and M/S encode/decode against
 * their formulas; block-size independence. */
#define _XOPEN_SOURCE 700
#include "lathe/lathe_node.h"
#include "nodeharness.h"
#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lathe_param *find_param(const char *name)
{
    for (const lathe_param *t = tu_node("stereo")->params; t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    fprintf(stderr, "no parameter %s\n", name);
    abort();
}

/* Parameters from "name", value pairs (numbers; bools and enum indexes as numbers). */
static void *params(const char *name, double v, ...)
{
    const lathe_node_desc *d = tu_node("stereo");
    void *p = calloc(1, d->params_size);
    tu_params_default(d, p);
    va_list ap;
    va_start(ap, v);
    while (name) {
        const lathe_param *q = find_param(name);
        if (q->type == LATHE_P_NUMBER)
            *(double *)((char *)p + q->offset) = v;
        else
            *(int *)((char *)p + q->offset) = (int)v;
        name = va_arg(ap, const char *);
        if (name)
            v = va_arg(ap, double);
    }
    va_end(ap);
    return p;
}

static int run(const void *p, const tu_signal *in, uint32_t block, tu_signal *out)
{
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(tu_node("stereo"), p, in, 1, block, out, err, sizeof err);
    if (rc != LATHE_OK)
        printf("  stereo error %d: %s\n", rc, err);
    return rc;
}

static tu_signal noise(uint32_t rate, uint64_t frames, uint64_t seed)
{
    tu_signal s = tu_signal_new(rate, 2, frames);
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t i = 0; i < frames; i++)
            s.ch[c][i] = (float)(0.5 * tu_rand(&seed));
    return s;
}

static void test_neutral(void)
{
    tu_signal in = noise(48000, 20000, 5), out;
    void *p = params(NULL, 0.0);
    CHECK(run(p, &in, 1000, &out) == LATHE_OK && tu_signal_same(&in, &out), "defaults: bit-exact copy");
    CHECK(tu_node("stereo")->is_identity(p, &in.fmt), "defaults are the identity");
    tu_signal_free(&out);
    free(p);
    tu_signal_free(&in);
}

/* Output gain in dB of sine f: (mid_amp, side_amp) in, measured on output mid, side, L or R. */
enum { OUT_MID, OUT_SIDE, OUT_L, OUT_R };
static int bass_mode; /* 0 linear, 1 iir */
static double phase_deg; /* of the last sine_gain_db's output against its input */

/* Phase of the sine f in x (degrees), by correlation with sin and cos over whole periods. */
static double sine_phase(const float *x, size_t n, double f, double rate)
{
    double s = 0.0, c = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)x[i] * sin(2.0 * M_PI * f * (double)i / rate);
        c += (double)x[i] * cos(2.0 * M_PI * f * (double)i / rate);
    }
    return atan2(c, s) * 180.0 / M_PI;
}

static double sine_gain_db(double rate, double f, double mid, double side, int what, double ref)
{
    size_t n = (size_t)rate;
    tu_signal in = tu_signal_new((uint32_t)rate, 2, n), out;
    tu_sine(in.ch[0], n, f, rate, mid + side, 0.0);
    tu_sine(in.ch[1], n, f, rate, mid - side, 0.0);
    void *p = params("bass_mono_hz", 150.0, "bass_mono_mode", (double)bass_mode, NULL);
    double g = -999.0;
    if (run(p, &in, 4096, &out) == LATHE_OK) {
        float *x = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            float l = out.ch[0][i], r = out.ch[1][i];
            x[i] = what == OUT_MID ? 0.5f * (l + r) : what == OUT_SIDE ? 0.5f * (l - r)
                   : what == OUT_L ? l : r;
        }
        /* skip 0.25 s of filter settling */
        g = tu_db(tu_sine_amplitude(x + n / 4, n - n / 4, f, rate) / ref);
        float *y = malloc(n * sizeof(float)); /* the same view of the input */
        for (size_t i = 0; i < n; i++) {
            float l = in.ch[0][i], r = in.ch[1][i];
            y[i] = what == OUT_MID ? 0.5f * (l + r) : what == OUT_SIDE ? 0.5f * (l - r)
                   : what == OUT_L ? l : r;
        }
        phase_deg = remainder(sine_phase(x + n / 4, n / 2, f, rate)
                              - sine_phase(y + n / 4, n / 2, f, rate), 360.0);
        free(y);
        free(x);
        tu_signal_free(&out);
    }
    free(p);
    tu_signal_free(&in);
    return g;
}

static void test_bass_mono(int mode)
{
    bass_mode = mode;
    printf("  bass_mono_mode %s\n", mode ? "iir" : "linear");
    static const double rates[] = { 44100.0, 48000.0, 96000.0 };
    static const double above[] = { 300.0, 500.0, 1000.0, 5000.0, 15000.0 };
    for (int r = 0; r < 3; r++) {
        double g60 = sine_gain_db(rates[r], 60.0, 0.0, 0.5, OUT_SIDE, 0.5);
        printf("  bass_mono 150 Hz at %.0f: side at 60 Hz %.1f dB\n", rates[r], g60);
        CHECK(g60 <= -40.0, "side at 60 Hz down >= 40 dB: %.1f dB", g60);
        for (int i = 0; i < 5; i++) {
            double g = sine_gain_db(rates[r], above[i], 0.0, 0.5, OUT_SIDE, 0.5);
            CHECK(fabs(g) <= 0.5, "side at %g Hz unchanged within 0.5 dB: %+.3f dB", above[i], g);
            /* left-only input: mid and side stay in phase, so the right stays silent */
            double rr = sine_gain_db(rates[r], above[i], 0.25, 0.25, OUT_R, 0.5);
            double ll = sine_gain_db(rates[r], above[i], 0.25, 0.25, OUT_L, 0.5);
            CHECK(rr <= -40.0 && fabs(ll) <= 0.5,
                  "left-only %g Hz stays left: L %+.3f dB, R %.1f dB", above[i], ll, rr);
        }
        double m60 = sine_gain_db(rates[r], 60.0, 0.5, 0.0, OUT_MID, 0.5);
        double m1k = sine_gain_db(rates[r], 1000.0, 0.5, 0.0, OUT_MID, 0.5);
        CHECK(fabs(m60) < 0.01 && fabs(m1k) < 0.01, "mid magnitude unchanged: %+.4f, %+.4f dB",
              m60, m1k);
    }
}

/* The linear split against the IIR one: phase and magnitude of the side above the split, the
 * stopband, and the latency compensated (an impulse stays on its sample). */
static void test_linear_phase(void)
{
    double ph[2][2];
    for (int mode = 0; mode < 2; mode++) {
        bass_mode = mode;
        for (int k = 0; k < 2; k++) {
            double f = k ? 1000.0 : 500.0;
            double g = sine_gain_db(48000.0, f, 0.0, 0.5, OUT_SIDE, 0.5);
            ph[mode][k] = phase_deg;
            printf("  %s: side at %g Hz %+.4f dB, phase %+.2f degrees\n", mode ? "iir" : "linear", f,
                   g, phase_deg);
            if (mode == 0)
                CHECK(fabs(g) <= 0.01, "linear: side at %g Hz within 0.01 dB: %+.4f", f, g);
        }
    }
    CHECK(fabs(ph[0][0]) < 0.5 && fabs(ph[0][1]) < 0.5,
          "linear: side phase 0 at 500 Hz and 1 kHz (%+.2f, %+.2f degrees)", ph[0][0], ph[0][1]);
    CHECK(fabs(ph[1][0]) > 10.0, "iir: the crossover turns the phase at 500 Hz (%+.1f degrees)",
          ph[1][0]);
    bass_mode = 0;
    double at = sine_gain_db(48000.0, 150.0, 0.0, 0.5, OUT_SIDE, 0.5);
    double below = sine_gain_db(48000.0, 120.0, 0.0, 0.5, OUT_SIDE, 0.5);
    CHECK(at <= -30.0 && below <= -50.0, "linear: side gone at 150 Hz (%.1f dB) and 120 Hz (%.1f dB)",
          at, below);

    tu_signal in = tu_signal_new(48000, 2, 48000), out;
    in.ch[0][12345] = 0.5f;
    void *p = params("bass_mono_hz", 150.0, NULL);
    CHECK(run(p, &in, 1000, &out) == LATHE_OK, "impulse through the linear split");
    uint64_t at_max = 0;
    for (uint64_t i = 0; i < out.fmt.frames; i++)
        if (fabsf(out.ch[0][i]) > fabsf(out.ch[0][at_max]))
            at_max = i;
    CHECK(out.fmt.frames == 48000 && at_max == 12345,
          "latency compensated: the impulse stays at frame 12345 (%llu), length kept (%llu)",
          (unsigned long long)at_max, (unsigned long long)out.fmt.frames);
    tu_signal_free(&out);
    tu_signal_free(&in);
    free(p);
}

/* Width, balance, polarity, swap and encode/decode on a random stereo signal, per sample. */
static void test_formulas(void)
{
    tu_signal in = noise(48000, 5000, 9), out;
    const float *l = in.ch[0], *r = in.ch[1];
    struct { void *p; const char *what; } cases[] = {
        { params("width", 0.0, NULL), "width 0" },
        { params("width", 2.0, NULL), "width 2" },
        { params("balance_db", 6.0, NULL), "balance +6" },
        { params("balance_db", -6.0, NULL), "balance -6" },
        { params("invert_left", 1.0, "swap", 1.0, NULL), "invert left + swap" },
        { params("mode", 1.0, NULL), "ms_encode" },
        { params("mode", 2.0, NULL), "ms_decode" },
        { params("mid_gain_db", -6.0, "side_gain_db", 3.0, NULL), "mid -6 side +3" },
    };
    for (int k = 0; k < 8; k++) {
        if (run(cases[k].p, &in, 777, &out) != LATHE_OK) {
            CHECK(0, "%s ran", cases[k].what);
            continue;
        }
        double err = 0.0, g6 = pow(10.0, -6.0 / 20.0), g3 = pow(10.0, 3.0 / 20.0);
        for (size_t i = 0; i < in.fmt.frames; i++) {
            double li = (double)l[i], ri = (double)r[i];
            double m = 0.5 * (li + ri), s = 0.5 * (li - ri), wl, wr;
            switch (k) {
            case 0: wl = m, wr = m; break;
            case 1: wl = m + 2 * s, wr = m - 2 * s; break;
            case 2: wl = li * g6, wr = ri; break;
            case 3: wl = li, wr = ri * g6; break;
            case 4: wl = ri, wr = -li; break;
            case 5: wl = m, wr = s; break;
            case 6: wl = li + ri, wr = li - ri; break;
            default: wl = m * g6 + s * g3, wr = m * g6 - s * g3; break;
            }
            double e = fmax(fabs((double)out.ch[0][i] - wl), fabs((double)out.ch[1][i] - wr));
            err = e > err ? e : err;
        }
        CHECK(err < 1e-6, "%s matches its formula: max error %.2g", cases[k].what, err);
        tu_signal_free(&out);
        free(cases[k].p);
    }
    tu_signal_free(&in);
}

static void test_blocks_and_errors(void)
{
    tu_signal in = noise(44100, 44100, 11), a, b, c;
    void *p = params("bass_mono_hz", 120.0, "width", 1.3, "balance_db", 1.0, NULL);
    int ok = run(p, &in, 4096, &a) == LATHE_OK && run(p, &in, 1000, &b) == LATHE_OK &&
             run(p, &in, 37, &c) == LATHE_OK;
    CHECK(ok && tu_signal_same(&a, &b) && tu_signal_same(&a, &c), "blocks 4096, 1000, 37 bit-identical");
    CHECK(ok && !tu_signal_same(&a, &in), "the settings change the signal");
    if (ok) {
        tu_signal_free(&a);
        tu_signal_free(&b);
        tu_signal_free(&c);
    }
    free(p);
    tu_signal_free(&in);

    char err[LATHE_ERR_MAX];
    tu_signal mono = tu_signal_new(48000, 1, 100), low = tu_signal_new(1500, 2, 100), out;
    p = params(NULL, 0.0);
    CHECK(tu_node_run(tu_node("stereo"), p, &mono, 1, 0, &out, err, sizeof err) ==
          LATHE_ERR_FORMAT, "mono input refused: %s", err);
    free(p);
    p = params("bass_mono_hz", 900.0, NULL);
    CHECK(tu_node_run(tu_node("stereo"), p, &low, 1, 0, &out, err, sizeof err) == LATHE_ERR_PARAM,
          "bass_mono_hz above 0.49 x rate refused: %s", err);
    free(p);
    for (int mode = 0; mode < 2; mode++) { /* a tiny f0 once asked for a 2^28-tap filter */
        p = params("bass_mono_hz", 0.01, "bass_mono_mode", (double)mode, NULL);
        tu_signal st = tu_signal_new(192000, 2, 100);
        CHECK(tu_node_run(tu_node("stereo"), p, &st, 1, 0, &out, err, sizeof err) ==
              LATHE_ERR_PARAM && strstr(err, "20 Hz"), "bass_mono_hz 0.01 refused: %s", err);
        tu_signal_free(&st);
        free(p);
    }
    tu_signal_free(&mono);
    tu_signal_free(&low);
}

int main(void)
{
    test_neutral();
    test_bass_mono(0);
    test_bass_mono(1);
    test_linear_phase();
    test_formulas();
    test_blocks_and_errors();
    return tu_done();
}
