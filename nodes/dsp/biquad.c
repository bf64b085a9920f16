/* biquad.c - design of second-order sections (see biquad.h for the method and prototypes). */
#include "biquad.h"

#include <assert.h>
#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* An analog prototype normalised to w0 = 1: H(s) = (n[0] + n[1] s + n[2] s^2) / (d[0] + ...). */
typedef struct proto {
    double n[3], d[3];
} proto;

/* |H(jW)|^2 of a normalised prototype, W = omega / omega0. */
static double proto_mag2(const proto *p, double w)
{
    double nr = p->n[0] - p->n[2] * w * w, ni = p->n[1] * w;
    double dr = p->d[0] - p->d[2] * w * w, di = p->d[1] * w;
    return (nr * nr + ni * ni) / (dr * dr + di * di);
}

/* Denominator by impulse invariance: each analog pole s maps to z = exp(s T). w0 = 2 pi f0 / fs
 * scales the normalised poles to s T. */
static void match_poles(const proto *p, double w0, double *a1, double *a2)
{
    if (p->d[2] == 0.0) { /* first order */
        *a1 = -exp(-p->d[0] / p->d[1] * w0);
        *a2 = 0.0;
        return;
    }
    double b = p->d[1] / p->d[2], c = p->d[0] / p->d[2];
    double disc = b * b - 4.0 * c;
    if (disc < 0.0) {
        double sigma = 0.5 * b, wd = 0.5 * sqrt(-disc);
        *a1 = -2.0 * exp(-sigma * w0) * cos(wd * w0);
    } else {
        double r1 = 0.5 * (-b + sqrt(disc)), r2 = 0.5 * (-b - sqrt(disc));
        *a1 = -(exp(r1 * w0) + exp(r2 * w0));
    }
    *a2 = exp(-b * w0);
}

/* Numerator for given poles after Vicanek: |H|^2 equals the prototype at DC and at the match
 * frequency wm (radians/sample), and nyq_scale times the prototype at Nyquist. With
 * phi1 = sin^2(w/2), phi0 = 1 - phi1, phi2 = 4 phi0 phi1, |1 + a1 z^-1 + a2 z^-2|^2 =
 * A0 phi0 + A1 phi1 + A2 phi2 with A0 = (1+a1+a2)^2, A1 = (1-a1+a2)^2, A2 = -4 a2, and likewise
 * B0..B2 for the numerator. */
static void match_zeros(lathe_biquad *c, const proto *p, double w0, double wm, const double *v)
{
    double a1 = v[0], a2 = v[1];
    double A0 = (1.0 + a1 + a2) * (1.0 + a1 + a2), A1 = (1.0 - a1 + a2) * (1.0 - a1 + a2);
    double A2 = -4.0 * a2;
    double B0 = proto_mag2(p, 0.0) * A0;
    double B1 = proto_mag2(p, M_PI / w0) * A1 * v[2];
    double phi1 = sin(0.5 * wm) * sin(0.5 * wm), phi0 = 1.0 - phi1, phi2 = 4.0 * phi0 * phi1;
    double hm = proto_mag2(p, wm / w0);
    double B2 = (hm * (A0 * phi0 + A1 * phi1 + A2 * phi2) - B0 * phi0 - B1 * phi1) / phi2;
    double s0 = sqrt(B0), s1 = sqrt(B1);
    double w = 0.5 * (s0 + s1);
    double disc = w * w + B2;
    c->b0 = 0.5 * (w + sqrt(disc > 0.0 ? disc : 0.0));
    c->b1 = 0.5 * (s0 - s1);
    c->b2 = c->b0 != 0.0 ? -B2 / (4.0 * c->b0) : 0.0;
    c->a1 = a1;
    c->a2 = a2;
}

/* Refinement grid: log-spaced up to min(0.46 fs, 22 kHz), where impulse-invariant poles of a
 * band close to Nyquist leave errors of a dB or more. */
#define GRID 48
#define NV 3 /* free variables: a1, a2 and the Nyquist gain factor */
typedef struct fitctx {
    const proto *p;
    double w0, wm, rate;
    double f[GRID], target_db[GRID];
} fitctx;

static double clamp_db(double db)
{
    return db > -60.0 ? db : -60.0;
}

/* Sum of e^4 of the dB errors e (close to minimax, still smooth); huge outside the stability
 * triangle or for a non-positive Nyquist factor. */
static double fit_cost(const fitctx *x, const double *v)
{
    lathe_biquad c;
    if (fabs(v[1]) >= 0.9999 || fabs(v[0]) >= 1.0 + v[1] || v[2] <= 0.0)
        return 1e30;
    match_zeros(&c, x->p, x->w0, x->wm, v);
    double cost = 0.0;
    for (int i = 0; i < GRID; i++) {
        double e = clamp_db(lathe_biquad_response_db(&c, 1, x->f[i], x->rate)) - x->target_db[i];
        cost += e * e * e * e;
    }
    return cost;
}

static void fit_init(fitctx *x, const proto *p, double freq_hz, double rate, double wm)
{
    double fmax = 0.46 * rate < 22000.0 ? 0.46 * rate : 22000.0;
    x->p = p;
    x->w0 = 2.0 * M_PI * freq_hz / rate;
    x->wm = wm;
    x->rate = rate;
    for (int i = 0; i < GRID; i++) {
        x->f[i] = 20.0 * pow(fmax / 20.0, (double)i / (GRID - 1));
        x->target_db[i] = clamp_db(10.0 * log10(proto_mag2(p, x->f[i] / freq_hz) + 1e-300));
    }
}

/* Moves vertex `hi` of the simplex to centroid + t (vertex - centroid); returns its cost. */
static double nm_try(const fitctx *x, double v[NV + 1][NV], int hi, double t, double *out)
{
    for (int j = 0; j < NV; j++) {
        double cen = 0.0;
        for (int i = 0; i <= NV; i++)
            if (i != hi) cen += v[i][j];
        cen /= NV;
        out[j] = cen + t * (v[hi][j] - cen);
    }
    return fit_cost(x, out);
}

/* Nelder-Mead with a fixed iteration budget: deterministic and bounded. */
static void fit_nm(const fitctx *x, double v[NV + 1][NV], double cost[NV + 1])
{
    double r[NV], e[NV];
    for (int it = 0; it < 300; it++) {
        int hi = 0, lo = 0, nh = -1;
        for (int i = 1; i <= NV; i++) {
            if (cost[i] > cost[hi]) hi = i;
            if (cost[i] < cost[lo]) lo = i;
        }
        for (int i = 0; i <= NV; i++)
            if (i != hi && (nh < 0 || cost[i] > cost[nh])) nh = i;
        double cr = nm_try(x, v, hi, -1.0, r);
        if (cr < cost[lo]) {
            double ce = nm_try(x, v, hi, -2.0, e);
            if (ce < cr) {
                for (int j = 0; j < NV; j++) r[j] = e[j];
                cr = ce;
            }
        } else if (cr >= cost[nh]) {
            cr = nm_try(x, v, hi, 0.5, r);
            if (cr >= cost[hi]) { /* shrink towards the best vertex */
                for (int i = 0; i <= NV; i++) {
                    if (i == lo) continue;
                    for (int j = 0; j < NV; j++) v[i][j] = 0.5 * (v[i][j] + v[lo][j]);
                    cost[i] = fit_cost(x, v[i]);
                }
                continue;
            }
        }
        for (int j = 0; j < NV; j++) v[hi][j] = r[j];
        cost[hi] = cr;
    }
}

/* Vicanek's matched design, refined: when the impulse-invariant poles leave more than a small
 * error against the prototype below ~20 kHz (bands near Nyquist), the poles and the Nyquist
 * gain are adjusted to minimise the dB error on a log grid (zeros still matching DC and wm). */
static void matched(lathe_biquad *c, const proto *p, double freq_hz, double rate, double wm)
{
    fitctx x;
    double v[NV + 1][NV], cost[NV + 1];
    fit_init(&x, p, freq_hz, rate, wm);
    match_poles(p, x.w0, &v[0][0], &v[0][1]);
    v[0][2] = 1.0;
    cost[0] = fit_cost(&x, v[0]);
    /* Below rate/32 the closed form is already within ~0.01 dB (and a coarse grid could miss a
     * narrow band); above, refine unless the error is already that small. */
    if (freq_hz < rate / 32.0 || cost[0] < GRID * 1e-8) {
        match_zeros(c, p, x.w0, wm, v[0]);
        return;
    }
    double d = 0.05 * (1.0 - v[0][1]) + 1e-4;
    for (int i = 1; i <= NV; i++) {
        for (int j = 0; j < NV; j++) v[i][j] = v[0][j];
        v[i][i - 1] += i == NV ? 0.1 : (i == 2 ? -d : d);
        cost[i] = fit_cost(&x, v[i]);
    }
    fit_nm(&x, v, cost);
    int best = 0;
    for (int i = 1; i <= NV; i++)
        if (cost[i] < cost[best]) best = i;
    match_zeros(c, p, x.w0, wm, v[best]);
}

/* First-order matched design (tilt): pole by impulse invariance, |H| exact at DC and Nyquist. */
static void matched1(lathe_biquad *c, const proto *p, double freq_hz, double rate)
{
    double w0 = 2.0 * M_PI * freq_hz / rate;
    double a1, a2;
    match_poles(p, w0, &a1, &a2);
    double sum = sqrt(proto_mag2(p, 0.0)) * (1.0 + a1);          /* b0 + b1 */
    double dif = sqrt(proto_mag2(p, M_PI / w0)) * (1.0 - a1);    /* b0 - b1 */
    c->b0 = 0.5 * (sum + dif);
    c->b1 = 0.5 * (sum - dif);
    c->b2 = 0.0;
    c->a1 = a1;
    c->a2 = 0.0;
}

/* The match frequency: the prototype's centre, but at most 0.95 pi so that the Nyquist and
 * centre conditions do not degenerate into one (phi2 -> 0). */
static double match_freq(double freq_hz, double rate)
{
    double wm = 2.0 * M_PI * freq_hz / rate;
    return wm < 0.95 * M_PI ? wm : 0.95 * M_PI;
}

static void set_proto(proto *p, double n0, double n1, double n2, double d0, double d1, double d2)
{
    p->n[0] = n0, p->n[1] = n1, p->n[2] = n2;
    p->d[0] = d0, p->d[1] = d1, p->d[2] = d2;
}

/* Bilinear second-order low/high/allpass, prewarped at freq_hz. */
static void blt2(lathe_biquad *c, lathe_biquad_type type, double freq_hz, double q, double rate)
{
    double k = tan(M_PI * freq_hz / rate);
    double norm = 1.0 / (1.0 + k / q + k * k);
    c->a1 = 2.0 * (k * k - 1.0) * norm;
    c->a2 = (1.0 - k / q + k * k) * norm;
    if (type == LATHE_BIQUAD_LOWPASS) {
        c->b0 = k * k * norm;
        c->b1 = 2.0 * c->b0;
        c->b2 = c->b0;
    } else if (type == LATHE_BIQUAD_HIGHPASS) {
        c->b0 = norm;
        c->b1 = -2.0 * norm;
        c->b2 = norm;
    } else { /* allpass */
        c->b0 = c->a2;
        c->b1 = c->a1;
        c->b2 = 1.0;
    }
}

/* Bilinear first-order low/high/allpass. */
static void blt1(lathe_biquad *c, lathe_biquad_type type, double freq_hz, double rate)
{
    double k = tan(M_PI * freq_hz / rate);
    c->a1 = (k - 1.0) / (k + 1.0);
    c->a2 = 0.0;
    c->b2 = 0.0;
    if (type == LATHE_BIQUAD_LOWPASS) {
        c->b0 = k / (k + 1.0);
        c->b1 = c->b0;
    } else if (type == LATHE_BIQUAD_HIGHPASS) {
        c->b0 = 1.0 / (k + 1.0);
        c->b1 = -c->b0;
    } else {
        c->b0 = c->a1;
        c->b1 = 1.0;
    }
}

/* 1 / H: a cut is designed as the reciprocal of the boost (the prototypes are reciprocal in
 * gain), because a cut's heavily damped poles map badly by impulse invariance. The boost design
 * is minimum phase, so its reciprocal is stable. */
static void invert(lathe_biquad *c)
{
    double g = 1.0 / c->b0;
    lathe_biquad r = { g, c->a1 * g, c->a2 * g, c->b1 * g, c->b2 * g };
    *c = r;
}

static void design_matched(lathe_biquad *c, lathe_biquad_type type, double freq_hz, double q,
                           double gain_db, double rate)
{
    double a = pow(10.0, fabs(gain_db) / 40.0), sa = sqrt(a);
    double wm = match_freq(freq_hz, rate);
    proto p;
    if (type == LATHE_BIQUAD_BELL)
        set_proto(&p, 1.0, a / q, 1.0, 1.0, 1.0 / (a * q), 1.0);
    else if (type == LATHE_BIQUAD_LOWSHELF)
        set_proto(&p, a * a, a * sa / q, a, 1.0, sa / q, a);
    else if (type == LATHE_BIQUAD_HIGHSHELF)
        set_proto(&p, a, a * sa / q, a * a, a, sa / q, 1.0);
    else if (type == LATHE_BIQUAD_NOTCH)
        set_proto(&p, 1.0, 0.0, 1.0, 1.0, 1.0 / q, 1.0);
    else if (type == LATHE_BIQUAD_BANDPASS)
        set_proto(&p, 0.0, 1.0 / q, 0.0, 1.0, 1.0 / q, 1.0);
    else /* tilt: k (s + 1/k) / (s + k) */
        set_proto(&p, 1.0, a, 0.0, a, 1.0, 0.0);
    if (type == LATHE_BIQUAD_TILT)
        matched1(c, &p, freq_hz, rate);
    else
        matched(c, &p, freq_hz, rate, wm);
    if (gain_db < 0.0 && type != LATHE_BIQUAD_NOTCH && type != LATHE_BIQUAD_BANDPASS)
        invert(c);
}

void lathe_biquad_design(lathe_biquad *c, lathe_biquad_type type, double freq_hz, double q,
                         double gain_db, double rate)
{
    assert(freq_hz > 0.0 && freq_hz < 0.5 * rate && q > 0.0);
    switch (type) {
    case LATHE_BIQUAD_HIGHPASS:
    case LATHE_BIQUAD_LOWPASS:
    case LATHE_BIQUAD_ALLPASS:
        blt2(c, type, freq_hz, q, rate);
        break;
    default:
        design_matched(c, type, freq_hz, q, gain_db, rate);
        break;
    }
}

void lathe_biquad_bell(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_BELL, freq_hz, q, gain_db, rate);
}

void lathe_biquad_lowshelf(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_LOWSHELF, freq_hz, q, gain_db, rate);
}

void lathe_biquad_highshelf(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_HIGHSHELF, freq_hz, q, gain_db, rate);
}

void lathe_biquad_highpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_HIGHPASS, freq_hz, q, gain_db, rate);
}

void lathe_biquad_lowpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_LOWPASS, freq_hz, q, gain_db, rate);
}

void lathe_biquad_notch(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_NOTCH, freq_hz, q, gain_db, rate);
}

void lathe_biquad_bandpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_BANDPASS, freq_hz, q, gain_db, rate);
}

void lathe_biquad_allpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_ALLPASS, freq_hz, q, gain_db, rate);
}

void lathe_biquad_tilt(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate)
{
    lathe_biquad_design(c, LATHE_BIQUAD_TILT, freq_hz, q, gain_db, rate);
}

void lathe_biquad_identity(lathe_biquad *c)
{
    c->b0 = 1.0;
    c->b1 = c->b2 = c->a1 = c->a2 = 0.0;
}

/* Butterworth sections of order `order` as `type` (LOWPASS, HIGHPASS or ALLPASS): pole pairs with
 * Q_k = 1 / (2 sin((2k + 1) pi / (2 order))), plus a first-order section for odd orders. */
static int butter_sections(lathe_biquad *s, int order, lathe_biquad_type type, double freq_hz,
                           double rate)
{
    if (order < 1 || order > LATHE_BIQUAD_MAX_ORDER)
        return 0;
    int n = 0;
    for (int k = 0; k < order / 2; k++) {
        double q = 1.0 / (2.0 * sin((2.0 * k + 1.0) * M_PI / (2.0 * order)));
        blt2(&s[n++], type, freq_hz, q, rate);
    }
    if (order & 1)
        blt1(&s[n++], type, freq_hz, rate);
    return n;
}

int lathe_biquad_butterworth(lathe_biquad *sections, int order, int highpass, double freq_hz,
                             double rate)
{
    return butter_sections(sections, order,
                           highpass ? LATHE_BIQUAD_HIGHPASS : LATHE_BIQUAD_LOWPASS, freq_hz, rate);
}

int lathe_biquad_linkwitz_riley(lathe_biquad *sections, int order, int highpass, double freq_hz,
                                double rate)
{
    if (order < 2 || (order & 1) || order > 2 * LATHE_BIQUAD_MAX_ORDER)
        return 0;
    int n = lathe_biquad_butterworth(sections, order / 2, highpass, freq_hz, rate);
    for (int i = 0; i < n; i++)
        sections[n + i] = sections[i];
    return 2 * n;
}

int lathe_biquad_lr_allpass(lathe_biquad *sections, int order, double freq_hz, double rate)
{
    if (order < 2 || (order & 1) || order > 2 * LATHE_BIQUAD_MAX_ORDER)
        return 0;
    return butter_sections(sections, order / 2, LATHE_BIQUAD_ALLPASS, freq_hz, rate);
}

void lathe_biquad_response(const lathe_biquad *c, int n, double f, double rate, double *re,
                           double *im)
{
    double w = 2.0 * M_PI * f / rate;
    double c1 = cos(w), s1 = -sin(w), c2 = cos(2.0 * w), s2 = -sin(2.0 * w);
    double hr = 1.0, hi = 0.0;
    for (int i = 0; i < n; i++) {
        double nr = c[i].b0 + c[i].b1 * c1 + c[i].b2 * c2, ni = c[i].b1 * s1 + c[i].b2 * s2;
        double dr = 1.0 + c[i].a1 * c1 + c[i].a2 * c2, di = c[i].a1 * s1 + c[i].a2 * s2;
        double den = dr * dr + di * di;
        double qr = (nr * dr + ni * di) / den, qi = (ni * dr - nr * di) / den;
        double tr = hr * qr - hi * qi;
        hi = hr * qi + hi * qr;
        hr = tr;
    }
    *re = hr;
    *im = hi;
}

double lathe_biquad_response_db(const lathe_biquad *c, int n, double f, double rate)
{
    double re, im;
    lathe_biquad_response(c, n, f, rate, &re, &im);
    double m2 = re * re + im * im;
    return m2 > 1e-40 ? 10.0 * log10(m2) : -400.0;
}
