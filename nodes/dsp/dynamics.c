/* dynamics.c - feed-forward compressor kernel: level detector, soft-knee gain computer in dB,
 * smooth branching peak detector on the gain reduction (see dynamics.h). */
#include "dynamics.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* A gain reduction below this many dB is snapped to zero: it is far below float resolution,
 * and it keeps the release tail from decaying into denormals. */
#define GR_FLOOR_DB 1e-12
/* Mean-square floor (-300 dB) for the same reason. */
#define MS_FLOOR 1e-30
/* 10 log10(p) = DB_PER_LOG2 * log2(p): log2 is much faster than log10 in glibc. */
#define DB_PER_LOG2 3.01029995663981195214

void lathe_dynamics_config_default(lathe_dynamics_config *c)
{
    memset(c, 0, sizeof(*c));
    c->rate = 48000.0;
    c->channels = 2;
    c->threshold_db = 0.0;
    c->ratio = 1.0;
    c->knee_db = 0.0;
    c->attack_ms = 10.0;
    c->release_ms = 100.0;
    c->rms_ms = 10.0;
    c->range_db = 0.0;
    c->link = 1.0;
    c->detector = LATHE_DYNAMICS_PEAK;
    c->auto_release = 0;
}

static double one_pole(double ms, double rate)
{
    return exp(-1.0 / (ms * 0.001 * rate));
}

void lathe_dynamics_init(lathe_dynamics *d, const lathe_dynamics_config *c)
{
    assert(c->channels >= 1 && c->channels <= LATHE_DYNAMICS_MAX_CH);
    assert(c->ratio >= 1.0 && c->knee_db >= 0.0 && c->rate > 0.0);
    assert(c->attack_ms > 0.0 && c->release_ms > 0.0 && c->rms_ms > 0.0);
    memset(d, 0, sizeof(*d));
    d->cfg = *c;
    d->slope = 1.0 - 1.0 / c->ratio;
    d->knee_lo_db = c->threshold_db - 0.5 * c->knee_db;
    d->knee_lo2 = pow(10.0, d->knee_lo_db / 10.0);
    d->a_att = one_pole(c->attack_ms, c->rate);
    d->a_rel = one_pole(c->release_ms, c->rate);
    d->a_slow_att = one_pole(c->release_ms * LATHE_DYNAMICS_AUTO_SLOW, c->rate);
    d->a_slow_rel = d->a_slow_att;
    d->a_ms = one_pole(c->rms_ms, c->rate);
    d->range = c->range_db > 0.0 ? c->range_db : HUGE_VAL;
    if (c->ratio == 1.0)
        d->knee_lo2 = HUGE_VAL; /* ratio 1 never reduces: skip the curve entirely */
}

void lathe_dynamics_reset(lathe_dynamics *d)
{
    memset(d->ms, 0, sizeof(d->ms));
    memset(d->gr, 0, sizeof(d->gr));
    memset(d->slow, 0, sizeof(d->slow));
}

double lathe_dynamics_curve_db(const lathe_dynamics *d, double level_db)
{
    double over = level_db - d->cfg.threshold_db;
    double w = d->cfg.knee_db;
    if (2.0 * over <= -w)
        return 0.0;
    if (2.0 * over < w) {
        double k = over + 0.5 * w;
        return d->slope * k * k / (2.0 * w);
    }
    return d->slope * over;
}

/* Target GR for a linear power (|x|^2 or mean square). */
static inline double target_db(const lathe_dynamics *d, double power)
{
    if (!(power > d->knee_lo2))
        return 0.0;
    double gr = lathe_dynamics_curve_db(d, DB_PER_LOG2 * log2(power));
    return gr < d->range ? gr : d->range;
}

/* Smooth branching peak detector on the GR of channel c; optional program-dependent release. */
static inline double smooth(lathe_dynamics *d, uint32_t c, double target)
{
    double g = d->gr[c];
    double a = target > g ? d->a_att : d->a_rel;
    g = a * g + (1.0 - a) * target;
    if (g < GR_FLOOR_DB)
        g = 0.0;
    d->gr[c] = g;
    if (!d->cfg.auto_release)
        return g;
    /* A slow envelope charges only while reduction lasts; the output releases no faster than
     * it, so sustained reduction recovers slowly and short transients recover fast. */
    double s = d->slow[c];
    double b = g > s ? d->a_slow_att : d->a_slow_rel;
    s = b * s + (1.0 - b) * g;
    if (s < GR_FLOOR_DB)
        s = 0.0;
    d->slow[c] = s;
    return g > s ? g : s;
}

/* Detector power of each channel for frame i (updates the RMS state). */
static inline void powers(lathe_dynamics *d, const float *const *sc, uint32_t i, double *p)
{
    uint32_t nch = d->cfg.channels;
    if (d->cfg.detector == LATHE_DYNAMICS_RMS) {
        double a = d->a_ms;
        for (uint32_t c = 0; c < nch; c++) {
            double x = (double)sc[c][i];
            double ms = a * d->ms[c] + (1.0 - a) * x * x;
            d->ms[c] = p[c] = ms < MS_FLOOR ? 0.0 : ms;
        }
    } else {
        for (uint32_t c = 0; c < nch; c++) {
            double x = (double)sc[c][i];
            p[c] = x * x;
        }
    }
}

/* Per-frame detector power of the loudest channel into pm (vectorisable passes over the block;
 * the RMS recursion runs per channel, using out[c] as scratch). */
static void max_power(lathe_dynamics *d, const float *const *sc, uint32_t n, double *const *out)
{
    uint32_t nch = d->cfg.channels;
    double *pm = out[0];
    if (d->cfg.detector == LATHE_DYNAMICS_RMS) {
        double a = d->a_ms;
        for (uint32_t c = 0; c < nch; c++) {
            const float *x = sc[c];
            double ms = d->ms[c], *dst = c == 0 ? pm : out[c];
            for (uint32_t i = 0; i < n; i++) {
                ms = a * ms + (1.0 - a) * ((double)x[i] * (double)x[i]);
                ms = ms < MS_FLOOR ? 0.0 : ms;
                dst[i] = ms;
            }
            d->ms[c] = ms;
            if (c > 0)
                for (uint32_t i = 0; i < n; i++)
                    pm[i] = dst[i] > pm[i] ? dst[i] : pm[i];
        }
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        pm[i] = (double)sc[0][i] * (double)sc[0][i];
    for (uint32_t c = 1; c < nch; c++) {
        const float *x = sc[c];
        for (uint32_t i = 0; i < n; i++) {
            double p = (double)x[i] * (double)x[i];
            pm[i] = p > pm[i] ? p : pm[i];
        }
    }
}

/* Fully linked: one detector on the loudest channel, the same GR everywhere. */
static void process_linked(lathe_dynamics *d, const float *const *sc, uint32_t n,
                           double *const *gr)
{
    double *g = gr[0];
    max_power(d, sc, n, gr);
    if (d->cfg.auto_release) {
        for (uint32_t i = 0; i < n; i++)
            g[i] = smooth(d, 0, target_db(d, g[i]));
    } else {
        /* the common case, with the state in a register */
        double s = d->gr[0], att = d->a_att, rel = d->a_rel;
        for (uint32_t i = 0; i < n; i++) {
            double t = target_db(d, g[i]);
            double a = t > s ? att : rel;
            s = a * s + (1.0 - a) * t;
            s = s < GR_FLOOR_DB ? 0.0 : s;
            g[i] = s;
        }
        d->gr[0] = s;
    }
    for (uint32_t c = 1; c < d->cfg.channels; c++)
        memcpy(gr[c], g, sizeof(double) * n);
}

/* Partially linked: each channel's level is moved towards the loudest one by `link` (in dB). */
static void process_partial(lathe_dynamics *d, const float *const *sc, uint32_t n,
                            double *const *gr)
{
    uint32_t nch = d->cfg.channels;
    double p[LATHE_DYNAMICS_MAX_CH];
    double l = d->cfg.link;
    for (uint32_t i = 0; i < n; i++) {
        powers(d, sc, i, p);
        double pm = p[0];
        for (uint32_t c = 1; c < nch; c++)
            pm = p[c] > pm ? p[c] : pm;
        if (!(pm > d->knee_lo2)) { /* no channel can reach the knee */
            for (uint32_t c = 0; c < nch; c++)
                gr[c][i] = smooth(d, c, 0.0);
            continue;
        }
        double dbm = DB_PER_LOG2 * log2(pm);
        for (uint32_t c = 0; c < nch; c++) {
            double dbc = p[c] > MS_FLOOR ? DB_PER_LOG2 * log2(p[c]) : -300.0;
            double lev = (1.0 - l) * dbc + l * dbm;
            double t = lathe_dynamics_curve_db(d, lev);
            gr[c][i] = smooth(d, c, t < d->range ? t : d->range);
        }
    }
}

void lathe_dynamics_process(lathe_dynamics *d, const float *const *sc, uint32_t n,
                            double *const *gr)
{
    if (lathe_dynamics_linked(d))
        process_linked(d, sc, n, gr);
    else
        process_partial(d, sc, n, gr);
}

void lathe_dynamics_bandpass(lathe_biquad *c, double freq_hz, double q, double rate)
{
    double w = 2.0 * 3.14159265358979323846 * freq_hz / rate;
    double alpha = sin(w) / (2.0 * q), a0 = 1.0 + alpha;
    c->b0 = alpha / a0;
    c->b1 = 0.0;
    c->b2 = -alpha / a0;
    c->a1 = -2.0 * cos(w) / a0;
    c->a2 = (1.0 - alpha) / a0;
}

/* ---- delay line ------------------------------------------------------------------------------ */

size_t lathe_dynamics_delay_floats(uint32_t delay, uint32_t max_frames)
{
    return (size_t)delay + max_frames;
}

void lathe_dynamics_delay_init(lathe_dynamics_delay *dl, float *mem, uint32_t channels,
                               uint32_t delay, uint32_t max_frames)
{
    assert(channels >= 1 && channels <= LATHE_DYNAMICS_MAX_CH);
    memset(dl, 0, sizeof(*dl));
    dl->channels = channels;
    dl->delay = delay;
    dl->max_frames = max_frames;
    size_t per = lathe_dynamics_delay_floats(delay, max_frames);
    for (uint32_t c = 0; c < channels; c++)
        dl->buf[c] = mem + per * c;
    lathe_dynamics_delay_reset(dl);
}

void lathe_dynamics_delay_reset(lathe_dynamics_delay *dl)
{
    size_t per = lathe_dynamics_delay_floats(dl->delay, dl->max_frames);
    for (uint32_t c = 0; c < dl->channels; c++)
        memset(dl->buf[c], 0, sizeof(float) * per);
}

void lathe_dynamics_delay_push(lathe_dynamics_delay *dl, const float *const *x, uint32_t n,
                               const float **out)
{
    assert(n <= dl->max_frames);
    for (uint32_t c = 0; c < dl->channels; c++) {
        memcpy(dl->buf[c] + dl->delay, x[c], sizeof(float) * n);
        out[c] = dl->buf[c];
    }
}

void lathe_dynamics_delay_advance(lathe_dynamics_delay *dl, uint32_t n)
{
    if (dl->delay == 0)
        return;
    for (uint32_t c = 0; c < dl->channels; c++)
        memmove(dl->buf[c], dl->buf[c] + n, sizeof(float) * dl->delay);
}
