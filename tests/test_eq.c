/* test_eq: biquad designs against analog prototypes and closed forms, the eq node's measured
 * response against the analytic design at 44.1, 48 and 96 kHz, linear phase (symmetric impulse
 * response, zero phase after latency compensation, same magnitude), mid/side modes, block-size
 * independence and bit-exact neutral settings. */
#include "dsp/biquad.h"
#include "lathe/lathe_node.h"
#include "nodeharness.h"
#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define NF 40
static const double rates[3] = { 44100.0, 48000.0, 96000.0 };

/* 40 log-spaced frequencies from 20 Hz to min(20 kHz, 0.45 rate). */
static double freq_at(int i, double rate)
{
    double top = 0.45 * rate < 20000.0 ? 0.45 * rate : 20000.0;
    return 20.0 * pow(top / 20.0, i / (NF - 1.0));
}

/* ---- Analog prototypes, written out independently of biquad.c ------------------------------- */

static double analog_db(lathe_biquad_type t, double f, double f0, double q, double g)
{
    double a = pow(10.0, g / 40.0), w = f / f0, sa = sqrt(a);
    double nr, ni, dr, di;
    switch (t) {
    case LATHE_BIQUAD_BELL:
        nr = 1 - w * w, ni = w * a / q, dr = 1 - w * w, di = w / (a * q);
        break;
    case LATHE_BIQUAD_LOWSHELF: /* A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1) */
        nr = a * (a - w * w), ni = a * w * sa / q, dr = 1 - a * w * w, di = w * sa / q;
        break;
    case LATHE_BIQUAD_HIGHSHELF:
        nr = a * (1 - a * w * w), ni = a * w * sa / q, dr = a - w * w, di = w * sa / q;
        break;
    case LATHE_BIQUAD_NOTCH:
        nr = 1 - w * w, ni = 0, dr = 1 - w * w, di = w / q;
        break;
    case LATHE_BIQUAD_BANDPASS:
        nr = 0, ni = w / q, dr = 1 - w * w, di = w / q;
        break;
    default: /* tilt: (k s + 1) / (s + k), k = 10^(g/40) */
        nr = 1, ni = a * w, dr = a, di = w;
        break;
    }
    return 10.0 * log10((nr * nr + ni * ni) / (dr * dr + di * di));
}

/* Largest |design - prototype| over the 40 frequencies: in dB for the gain bands; in linear
 * magnitude for notch and bandpass (unity-peak filters whose skirts and notch reach -inf dB,
 * where dB differences say nothing audible). */
static double proto_err(lathe_biquad_type t, double f0, double q, double g, double rate)
{
    lathe_biquad c;
    double worst = 0.0;
    int lin = t == LATHE_BIQUAD_NOTCH || t == LATHE_BIQUAD_BANDPASS;
    lathe_biquad_design(&c, t, f0, q, g, rate);
    for (int i = 0; i < NF; i++) {
        double f = freq_at(i, rate);
        double d = lathe_biquad_response_db(&c, 1, f, rate), a = analog_db(t, f, f0, q, g);
        double e = lin ? fabs(pow(10.0, d / 20.0) - pow(10.0, a / 20.0)) : fabs(d - a);
        worst = e > worst ? e : worst;
    }
    return worst;
}

/* Every matched type against its prototype: centre/corner frequencies 40 Hz..10 kHz, Q 0.5 to 2,
 * gains -12..+12 dB. Tilt, notch and bandpass stop at 4 kHz: a first-order tilt cannot follow a
 * 10 kHz pivot's upper half, nor a biquad a wide 10 kHz notch's skirt, near Nyquist (known
 * limit, up to 0.15 linear at 44.1 kHz). Tolerances: 0.3 dB (bell, shelves, tilt), 0.03 linear
 * (notch, bandpass). */
static void test_matched_designs(void)
{
    static const lathe_biquad_type types[] = { LATHE_BIQUAD_BELL, LATHE_BIQUAD_LOWSHELF,
                                               LATHE_BIQUAD_HIGHSHELF, LATHE_BIQUAD_NOTCH,
                                               LATHE_BIQUAD_BANDPASS, LATHE_BIQUAD_TILT };
    static const char *names[] = { "bell", "lowshelf", "highshelf", "notch", "bandpass", "tilt" };
    static const double f0s[] = { 40.0, 250.0, 1000.0, 4000.0, 10000.0 };
    static const double qs[] = { 0.5, 0.7071, 2.0 };
    static const double gains[] = { -12.0, -3.0, 6.0, 12.0 };
    for (int r = 0; r < 3; r++)
        for (int t = 0; t < 6; t++) {
            double worst = 0.0, tol = (t == 3 || t == 4) ? 0.03 : 0.3;
            for (int a = 0; a < (t >= 3 ? 4 : 5); a++)
                for (int b = 0; b < 3; b++)
                    for (int c = 0; c < 4; c++) {
                        double e = proto_err(types[t], f0s[a], qs[b], gains[c], rates[r]);
                        worst = e > worst ? e : worst;
                    }
            printf("  %-9s at %5.0f Hz: worst |design - analog| %.4f %s\n", names[t], rates[r],
                   worst, tol < 0.1 ? "(linear)" : "dB");
            CHECK(worst < tol, "%s at %g Hz: design within %g of its analog prototype: %.4f",
                  names[t], rates[r], tol, worst);
        }
}

/* The non-cramping case: a 16 kHz Q 1 bell at 44.1 kHz matches its prototype within
 * 0.5 dB up to 20 kHz (a bilinear design is more than 3 dB off there). */
static void test_no_cramping(void)
{
    static const double gains[] = { -12.0, -6.0, -3.0, 3.0, 6.0, 12.0 };
    for (int g = 0; g < 6; g++) {
        lathe_biquad c;
        double worst = 0.0;
        lathe_biquad_bell(&c, 16000.0, 1.0, gains[g], 44100.0);
        for (int i = 0; i < 200; i++) {
            double f = 20.0 * pow(1000.0, i / 199.0);
            double e = fabs(lathe_biquad_response_db(&c, 1, f, 44100.0) -
                            analog_db(LATHE_BIQUAD_BELL, f, 16000.0, 1.0, gains[g]));
            worst = e > worst ? e : worst;
        }
        CHECK(worst < 0.5, "16 kHz Q1 bell %+g dB at 44.1 kHz within 0.5 dB of analog to 20 kHz: "
              "%.3f dB", gains[g], worst);
    }
}

/* Butterworth / Linkwitz-Riley against the closed form of the prewarped bilinear design:
 * |H|^2 = 1 / (1 + (x)^(2N)), x = tan(pi f/fs) / tan(pi fc/fs) (inverse for high-pass). */
static void test_butterworth(void)
{
    lathe_biquad sec[LATHE_BIQUAD_MAX_SECTIONS];
    double worst = 0.0;
    for (int r = 0; r < 3; r++)
        for (int order = 1; order <= 8; order++)
            for (int hp = 0; hp < 2; hp++)
                for (int lr = 0; lr < 2; lr++) {
                    double fc = hp ? 80.0 : 9000.0;
                    int tot = lr ? 2 * order : order;
                    int n = lr ? lathe_biquad_linkwitz_riley(sec, tot, hp, fc, rates[r])
                               : lathe_biquad_butterworth(sec, order, hp, fc, rates[r]);
                    CHECK(n == (lr ? 2 : 1) * ((order + 1) / 2), "section count %d", n);
                    for (int i = 0; i < NF; i++) {
                        double f = freq_at(i, rates[r]);
                        double x = tan(M_PI * f / rates[r]) / tan(M_PI * fc / rates[r]);
                        if (hp)
                            x = 1.0 / x;
                        double want = -10.0 * log10(1.0 + pow(x, 2.0 * order)) * (lr ? 2 : 1);
                        double e = fabs(lathe_biquad_response_db(sec, n, f, rates[r]) - want);
                        if (want > -200.0)
                            worst = e > worst ? e : worst;
                    }
                }
    CHECK(worst < 1e-6, "butterworth/LR vs closed form: %.2g dB", worst);
    CHECK(lathe_biquad_linkwitz_riley(sec, 6 + 1, 1, 100.0, 48000.0) == 0, "odd LR order refused");
}

/* LR8 crossover identity used by the stereo node's bass mono: LP + HP == allpass. */
static void test_lr_allpass(void)
{
    lathe_biquad lp[16], hp[16], ap[16];
    int nl = lathe_biquad_linkwitz_riley(lp, 8, 0, 150.0, 48000.0);
    int nh = lathe_biquad_linkwitz_riley(hp, 8, 1, 150.0, 48000.0);
    int na = lathe_biquad_lr_allpass(ap, 8, 150.0, 48000.0);
    double worst = 0.0;
    for (int i = 0; i < NF; i++) {
        double f = freq_at(i, 48000.0), lr, li, hr, hi, ar, ai;
        lathe_biquad_response(lp, nl, f, 48000.0, &lr, &li);
        lathe_biquad_response(hp, nh, f, 48000.0, &hr, &hi);
        lathe_biquad_response(ap, na, f, 48000.0, &ar, &ai);
        double e = hypot(lr + hr - ar, li + hi - ai) + fabs(hypot(ar, ai) - 1.0);
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 1e-9, "LR8 LP + HP equals the allpass: %.2g", worst);
}

/* ---- The node --------------------------------------------------------------------------------- */

typedef struct band_spec {
    const char *type;
    double freq_hz, gain_db, q, slope;
    const char *shape;
} band_spec;

static const lathe_param *find_param(const lathe_param *t, const char *name)
{
    for (; t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    fprintf(stderr, "no parameter %s\n", name);
    abort();
}

static void set_enum(const lathe_param *t, void *base, const char *name, const char *value)
{
    const lathe_param *p = find_param(t, name);
    for (int i = 0; p->choices[i]; i++)
        if (!strcmp(p->choices[i], value)) {
            *(int *)((char *)base + p->offset) = i;
            return;
        }
    abort();
}

static void set_num(const lathe_param *t, void *base, const char *name, double v)
{
    *(double *)((char *)base + find_param(t, name)->offset) = v;
}

/* eq parameters from a band list, filled through the node's own parameter table. */
static void *eq_params(const band_spec *b, int n, const char *phase, const char *mode)
{
    const lathe_node_desc *d = tu_node("eq");
    void *p = calloc(1, d->params_size);
    tu_params_default(d, p);
    const lathe_param *list = find_param(d->params, "bands");
    for (int i = 0; i < n; i++) {
        char *e = (char *)p + list->offset + (size_t)i * list->elem_size;
        lathe_params_defaults(list->fields, e);
        set_enum(list->fields, e, "type", b[i].type);
        set_num(list->fields, e, "freq_hz", b[i].freq_hz);
        set_num(list->fields, e, "gain_db", b[i].gain_db);
        set_num(list->fields, e, "q", b[i].q);
        if (b[i].slope > 0)
            set_num(list->fields, e, "slope_db_oct", b[i].slope);
        if (b[i].shape)
            set_enum(list->fields, e, "shape", b[i].shape);
    }
    *(int *)((char *)p + list->count_offset) = n;
    set_enum(d->params, p, "phase", phase);
    set_enum(d->params, p, "mode", mode);
    return p;
}

static int run_eq(const void *params, const tu_signal *in, uint32_t block, tu_signal *out)
{
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(tu_node("eq"), params, in, 1, block, out, err, sizeof err);
    if (rc != LATHE_OK)
        printf("  eq error %d: %s\n", rc, err);
    return rc;
}

/* DFT of h at f relative to time t0 (complex), with a rotating phasor. */
static void ir_response(const float *h, size_t n, size_t t0, double f, double rate, double *re,
                        double *im)
{
    double w = 2.0 * M_PI * f / rate, cr = cos(w), ci = -sin(w);
    double pr = cos(w * (double)t0), pi = sin(w * (double)t0); /* e^{-jw(0 - t0)} */
    double sr = 0.0, si = 0.0;
    for (size_t i = 0; i < n; i++) {
        sr += (double)h[i] * pr;
        si += (double)h[i] * pi;
        double t = pr * cr - pi * ci;
        pi = pr * ci + pi * cr;
        pr = t;
    }
    *re = sr;
    *im = si;
}

/* The analytic design of one band, as the node documents it. */
static int band_design(const band_spec *b, double rate, lathe_biquad *sec)
{
    static const char *names[] = { "bell", "lowshelf", "highshelf", "highpass", "lowpass",
                                   "notch", "bandpass", "tilt" };
    int t = 0;
    while (strcmp(names[t], b->type))
        t++;
    lathe_biquad_type kind[] = { LATHE_BIQUAD_BELL, LATHE_BIQUAD_LOWSHELF, LATHE_BIQUAD_HIGHSHELF,
                                 LATHE_BIQUAD_HIGHPASS, LATHE_BIQUAD_LOWPASS, LATHE_BIQUAD_NOTCH,
                                 LATHE_BIQUAD_BANDPASS, LATHE_BIQUAD_TILT };
    if (t != 3 && t != 4) {
        lathe_biquad_design(sec, kind[t], b->freq_hz, b->q, b->gain_db, rate);
        return 1;
    }
    int order = (int)(b->slope / 6.0);
    if (b->shape && !strcmp(b->shape, "linkwitz_riley"))
        return lathe_biquad_linkwitz_riley(sec, order, t == 3, b->freq_hz, rate);
    if (order == 2) {
        lathe_biquad_design(sec, kind[t], b->freq_hz, b->q, 0.0, rate);
        return 1;
    }
    return lathe_biquad_butterworth(sec, order, t == 3, b->freq_hz, rate);
}

static const band_spec all_bands[] = {
    { "bell", 1000.0, 6.0, 1.0, 0, NULL },
    { "bell", 16000.0, -8.0, 1.0, 0, NULL },
    { "lowshelf", 120.0, -4.0, 0.7071, 0, NULL },
    { "highshelf", 9000.0, 5.0, 0.7071, 0, NULL },
    { "highpass", 40.0, 0.0, 0.7071, 24.0, "butterworth" },
    { "highpass", 30.0, 0.0, 0.7071, 18.0, "butterworth" },
    { "highpass", 60.0, 0.0, 1.5, 12.0, "butterworth" },
    { "lowpass", 12000.0, 0.0, 0.7071, 48.0, "linkwitz_riley" },
    { "lowpass", 5000.0, 0.0, 0.7071, 6.0, "butterworth" },
    { "notch", 3000.0, 0.0, 2.0, 0, NULL },
    { "bandpass", 500.0, 0.0, 1.0, 0, NULL },
    { "tilt", 1000.0, 6.0, 0.7071, 0, NULL },
};
#define N_ALL (int)(sizeof(all_bands) / sizeof(all_bands[0]))

/* Impulse response through the node (stereo) vs the analytic design at 40 frequencies. */
static void test_node_response(void)
{
    for (int r = 0; r < 3; r++) {
        double worst = 0.0;
        for (int k = 0; k < N_ALL; k++) {
            size_t n = (size_t)(rates[r] / 2);
            tu_signal in = tu_signal_new((uint32_t)rates[r], 2, n), out;
            in.ch[0][0] = in.ch[1][0] = 1.0f;
            void *p = eq_params(&all_bands[k], 1, "minimum", "stereo");
            if (run_eq(p, &in, 1000, &out) != LATHE_OK) {
                CHECK(0, "eq ran");
                continue;
            }
            CHECK(!memcmp(out.ch[0], out.ch[1], n * sizeof(float)), "channels identical");
            lathe_biquad sec[8];
            int ns = band_design(&all_bands[k], rates[r], sec);
            for (int i = 0; i < NF; i++) {
                double f = freq_at(i, rates[r]), re, im;
                double want = lathe_biquad_response_db(sec, ns, f, rates[r]);
                ir_response(out.ch[0], n, 0, f, rates[r], &re, &im);
                double got = 10.0 * log10(re * re + im * im + 1e-30);
                double e = want > -60.0 ? fabs(got - want) : 0.0;
                if (e > worst)
                    worst = e;
                if (e > 0.01)
                    printf("  %s %g Hz at %g: measured %.4f dB, design %.4f dB\n",
                           all_bands[k].type, all_bands[k].freq_hz, f, got, want);
            }
            tu_signal_free(&in);
            tu_signal_free(&out);
            free(p);
        }
        printf("  node vs design at %.0f Hz: worst %.5f dB (%d bands x 40 freqs)\n", rates[r],
               worst, N_ALL);
        CHECK(worst < 0.01, "node response within 0.01 dB of the design at %g Hz: %.5f dB",
              rates[r], worst);
    }
}

static tu_signal noise(uint32_t rate, uint64_t frames, uint64_t seed)
{
    tu_signal s = tu_signal_new(rate, 2, frames);
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t i = 0; i < frames; i++)
            s.ch[c][i] = (float)(0.5 * tu_rand(&seed));
    return s;
}

/* Output bit-identical for blocks of 4096, 1000 and 37 frames, in every phase and mode. */
static void test_block_independence(void)
{
    static const char *phases[] = { "minimum", "linear" };
    static const char *modes[] = { "stereo", "mid", "side" };
    tu_signal in = noise(48000, 48000, 7);
    for (int ph = 0; ph < 2; ph++)
        for (int m = 0; m < 3; m++) {
            void *p = eq_params(all_bands, 5, phases[ph], modes[m]);
            tu_signal a, b, c;
            int ok = run_eq(p, &in, 4096, &a) == LATHE_OK && run_eq(p, &in, 1000, &b) == LATHE_OK &&
                     run_eq(p, &in, 37, &c) == LATHE_OK;
            CHECK(ok && tu_signal_same(&a, &b) && tu_signal_same(&a, &c), "%s/%s: blocks 4096, 1000, 37 bit-identical",
                  phases[ph], modes[m]);
            CHECK(ok && a.fmt.frames == in.fmt.frames, "output length equals input length");
            CHECK(ok && !tu_signal_same(&a, &in), "%s/%s changes the signal", phases[ph], modes[m]);
            if (ok) {
                tu_signal_free(&a);
                tu_signal_free(&b);
                tu_signal_free(&c);
            }
            free(p);
        }
    tu_signal_free(&in);
}

/* No bands, gains of 0 dB and disabled bands: a bit-exact copy, in every phase and mode. */
static void test_neutral(void)
{
    band_spec zero[] = { { "bell", 1000.0, 0.0, 1.0, 0, NULL },
                         { "lowshelf", 100.0, 0.0, 0.7, 0, NULL },
                         { "highshelf", 8000.0, 0.0, 0.7, 0, NULL },
                         { "tilt", 1000.0, 0.0, 0.7, 0, NULL },
                         { "highpass", 30.0, 0.0, 0.7, 24.0, NULL } };
    tu_signal in = noise(44100, 30000, 3);
    const lathe_node_desc *d = tu_node("eq");
    for (int ph = 0; ph < 2; ph++)
        for (int m = 0; m < 3; m++) {
            static const char *phases[] = { "minimum", "linear" }, *modes[] = { "stereo", "mid",
                                                                               "side" };
            for (int variant = 0; variant < 2; variant++) {
                void *p = eq_params(zero, variant ? 5 : 0, phases[ph], modes[m]);
                if (variant) { /* disable the high-pass */
                    const lathe_param *list = find_param(d->params, "bands");
                    char *e = (char *)p + list->offset + 4 * list->elem_size;
                    *(int *)(e + find_param(list->fields, "enabled")->offset) = 0;
                }
                tu_signal out;
                int ok = run_eq(p, &in, 1000, &out) == LATHE_OK;
                CHECK(ok && tu_signal_same(&in, &out), "neutral %s/%s (%s): bit-exact", phases[ph],
                      modes[m], variant ? "0 dB and disabled bands" : "no bands");
                CHECK(d->is_identity(p, &in.fmt), "is_identity says so");
                if (ok)
                    tu_signal_free(&out);
                free(p);
            }
        }
    tu_signal_free(&in);
}

/* Linear phase: the impulse response, after the engine trims the latency, is symmetric about
 * the impulse (constant group delay = the declared latency), its phase is zero, and its
 * magnitude equals the minimum-phase design within 0.05 dB from 20 Hz to 20 kHz. */
static void test_linear_phase(void)
{
    static const band_spec gentle[] = { { "bell", 1000.0, 6.0, 1.0, 0, NULL },
                                        { "lowshelf", 120.0, -4.0, 0.7071, 0, NULL },
                                        { "highshelf", 9000.0, 5.0, 0.7071, 0, NULL },
                                        { "tilt", 2000.0, -3.0, 0.7071, 0, NULL },
                                        { "bell", 200.0, -3.0, 2.0, 0, NULL } };
    for (int r = 0; r < 3; r++) {
        size_t n = (size_t)rates[r], t0 = n / 2;
        tu_signal in = tu_signal_new((uint32_t)rates[r], 2, n), out;
        in.ch[0][t0] = in.ch[1][t0] = 1.0f;
        void *p = eq_params(gentle, 5, "linear", "stereo");
        if (run_eq(p, &in, 4096, &out) != LATHE_OK) {
            CHECK(0, "linear eq ran");
            continue;
        }
        double asym = 0.0, peak = 0.0, mag_err = 0.0, phase_err = 0.0;
        for (size_t k = 0; k < t0; k++) {
            double a = out.ch[0][t0 + k], b = out.ch[0][t0 - k];
            asym = fabs(a - b) > asym ? fabs(a - b) : asym;
            peak = fabs(a) > peak ? fabs(a) : peak;
        }
        lathe_biquad sec[8];
        int ns = 0;
        for (int b = 0; b < 5; b++)
            ns += band_design(&gentle[b], rates[r], sec + ns);
        for (int i = 0; i < NF; i++) {
            double f = freq_at(i, rates[r]), re, im;
            ir_response(out.ch[0], n, t0, f, rates[r], &re, &im);
            double e = fabs(10.0 * log10(re * re + im * im) -
                            lathe_biquad_response_db(sec, ns, f, rates[r]));
            double ph = fabs(atan2(im, re)) * 180.0 / M_PI;
            mag_err = e > mag_err ? e : mag_err;
            phase_err = ph > phase_err ? ph : phase_err;
        }
        printf("  linear at %.0f Hz: asymmetry %.2g of peak, |mag - min-phase| %.4f dB, "
               "|phase| %.4f deg\n", rates[r], asym / peak, mag_err, phase_err);
        CHECK(asym < 1e-5 * peak, "symmetric impulse response: constant group delay");
        CHECK(mag_err < 0.05, "linear magnitude equals minimum phase within 0.05 dB: %.4f",
              mag_err);
        CHECK(phase_err < 0.1, "zero phase after latency compensation: %.4f deg", phase_err);
        tu_signal_free(&in);
        tu_signal_free(&out);
        free(p);
    }
}

/* Mid mode leaves pure side untouched and filters pure mid; side mode the reverse. Sines at
 * 1 kHz through a +6 dB bell at 1 kHz; both phases (linear: the other part is delayed). */
static void test_mid_side(void)
{
    static const band_spec bell = { "bell", 1000.0, 6.0, 1.0, 0, NULL };
    static const char *phases[] = { "minimum", "linear" };
    const size_t n = 96000;
    for (int ph = 0; ph < 2; ph++)
        for (int mode = 0; mode < 2; mode++)
            for (int content = 0; content < 2; content++) { /* 0: mid (L = R), 1: side */
                tu_signal in = tu_signal_new(48000, 2, n), out;
                tu_sine(in.ch[0], n, 1000.0, 48000.0, 0.25, 0.0);
                tu_sine(in.ch[1], n, 1000.0, 48000.0, content ? -0.25 : 0.25, 0.0);
                void *p = eq_params(&bell, 1, phases[ph], mode ? "side" : "mid");
                if (run_eq(p, &in, 1000, &out) != LATHE_OK) {
                    CHECK(0, "eq ran");
                    continue;
                }
                /* skip the first and last 0.5 s (filter settling, linear pre-/post-ringing) */
                double gl = tu_db(tu_sine_amplitude(out.ch[0] + 24000, n - 48000, 1000.0,
                                                    48000.0) / 0.25);
                double gr = tu_db(tu_sine_amplitude(out.ch[1] + 24000, n - 48000, 1000.0,
                                                    48000.0) / 0.25);
                double want = (mode == content) ? 6.0 : 0.0;
                CHECK(fabs(gl - want) < 0.02 && fabs(gr - want) < 0.02,
                      "%s mode %s on %s content: L %+.3f R %+.3f dB, want %+.1f", phases[ph],
                      mode ? "side" : "mid", content ? "side" : "mid", gl, gr, want);
                tu_signal_free(&in);
                tu_signal_free(&out);
                free(p);
            }
}

static void test_errors(void)
{
    band_spec high = { "bell", 30000.0, 3.0, 1.0, 0, NULL };
    band_spec lr18 = { "highpass", 100.0, 0.0, 0.7, 18.0, "linkwitz_riley" };
    band_spec bw15 = { "highpass", 100.0, 0.0, 0.7, 15.0, "butterworth" };
    tu_signal st = noise(48000, 100, 1), mono = tu_signal_new(48000, 1, 100), out;
    char err[LATHE_ERR_MAX];
    void *p = eq_params(&high, 1, "minimum", "stereo");
    CHECK(tu_node_run(tu_node("eq"), p, &st, 1, 0, &out, err, sizeof err) == LATHE_ERR_PARAM,
          "freq_hz above 0.49 x rate refused: %s", err);
    free(p);
    p = eq_params(&lr18, 1, "minimum", "stereo");
    CHECK(tu_node_run(tu_node("eq"), p, &st, 1, 0, &out, err, sizeof err) == LATHE_ERR_PARAM,
          "LR 18 dB/oct refused: %s", err);
    free(p);
    p = eq_params(&bw15, 1, "minimum", "stereo");
    CHECK(tu_node_run(tu_node("eq"), p, &st, 1, 0, &out, err, sizeof err) == LATHE_ERR_PARAM,
          "15 dB/oct refused: %s", err);
    free(p);
    p = eq_params(&all_bands[0], 1, "minimum", "mid");
    CHECK(tu_node_run(tu_node("eq"), p, &mono, 1, 0, &out, err, sizeof err) == LATHE_ERR_PARAM,
          "mid mode on mono refused: %s", err);
    free(p);
    tu_signal_free(&st);
    tu_signal_free(&mono);
}

int main(void)
{
    test_matched_designs();
    test_no_cramping();
    test_butterworth();
    test_lr_allpass();
    test_node_response();
    test_block_independence();
    test_neutral();
    test_linear_phase();
    test_mid_side();
    test_errors();
    return tu_done();
}
