/* limiter_stage.c - one stage of the limiter (see limiter_stage.h, and limiter.h for the
 * design). */
#include "limiter_stage.h"

#include "simd.h"

#include <math.h>
#include <string.h>

uint32_t lathe_limiter_pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static int delay_init(delayline *d, uint32_t channels, uint32_t delay, const lathe_dsp_alloc *a)
{
    d->delay = delay;
    d->mask = lathe_limiter_pow2_at_least(delay + LIMITER_CHUNK) - 1;
    for (uint32_t c = 0; c < channels; c++)
        if (!(d->buf[c] = lathe_dsp_calloc(a, d->mask + 1, sizeof(float))))
            return -1;
    return 0;
}

/* [rt] y[c][i] = x[c][i - delay] * (gain[c][i] * in_gain), the factor rounded to float once. A
 * gain of exactly 1.0 multiplies by in_gain exactly, so the unity path is bit-exact (x itself
 * when in_gain is 1). The ring is written and read as at most two runs each (it wraps once), so
 * the loops vectorise. */
static void delay_apply(delayline *d, uint32_t channels, const float *const *x, float *const *y,
                        const double *const *gain, float in_gain, uint32_t n)
{
    const uint32_t m = d->mask, w = d->pos & m, rd = (d->pos - d->delay) & m;
    const uint32_t w1 = m + 1 - w < n ? m + 1 - w : n, r1 = m + 1 - rd < n ? m + 1 - rd : n;
    for (uint32_t c = 0; c < channels; c++) {
        float *restrict b = d->buf[c];
        memcpy(b + w, x[c], w1 * sizeof(float));
        memcpy(b, x[c] + w1, (n - w1) * sizeof(float));
        const double *restrict gc = gain[c];
        float *restrict yc = y[c];
        const float *restrict src = b + rd;
        for (uint32_t i = 0; i < r1; i++)
            yc[i] = src[i] * (float)(gc[i] * (double)in_gain);
        for (uint32_t i = r1; i < n; i++)
            yc[i] = b[i - r1] * (float)(gc[i] * (double)in_gain);
    }
    d->pos += n;
}

static void delay_reset(delayline *d, uint32_t channels)
{
    for (uint32_t c = 0; c < channels; c++)
        memset(d->buf[c], 0, (d->mask + 1) * sizeof(float));
    d->pos = 0;
}

int lathe_limiter_stage_init(stage *s, const lathe_limiter_config *c, int n_gc, int tp,
                             uint32_t ramp, uint32_t max_hold, uint32_t bridge,
                             const lathe_dsp_alloc *al)
{
    s->n_gc = n_gc;
    s->det_latency = 0;
    if (tp) {
        for (int k = 0; k < n_gc; k++) {
            uint32_t ch = n_gc == 1 ? c->channels : 1;
            if (lathe_tpdetect_new(c->rate, ch, al, &s->tp[k]) != 0 ||
                lathe_topband_new(ch, lathe_tpdetect_latency(s->tp[k]), al, &s->tb[k]) != 0 ||
                !(s->bound[k] = lathe_dsp_calloc(al, LIMITER_CHUNK, sizeof(float))))
                return -1;
        }
        s->det_latency = lathe_tpdetect_latency(s->tp[0]);
    }
    /* hold: a frame's true peak depends on the samples within `reach` frames of it; the gain
     * stays at or below its requirement over all of them (flat there for an isolated peak) */
    uint32_t hold = tp ? lathe_tpdetect_reach(s->tp[0]) : 0;
    hold = hold < max_hold ? hold : max_hold;
    for (int k = 0; k < n_gc; k++)
        if (lathe_gaincomp_init(&s->gc[k], ramp + 2 * hold, bridge, ramp, al) != 0)
            return -1;
    s->latency = s->det_latency + ramp + hold - 1;
    return delay_init(&s->dl, c->channels, s->latency, al);
}

void lathe_limiter_stage_fini(stage *s, uint32_t channels, const lathe_dsp_alloc *a)
{
    for (int k = 0; k < s->n_gc; k++) {
        lathe_tpdetect_free(s->tp[k]);
        lathe_topband_free(s->tb[k]);
        lathe_dsp_free(a, s->bound[k]);
        lathe_dsp_free(a, s->lf_pk[k]);
        lathe_dsp_free(a, s->lf_req[k]);
        lathe_gaincomp_fini(&s->gc[k], a);
    }
    lathe_lfpeak_free(s->lf);
    for (uint32_t c = 0; c < channels; c++)
        lathe_dsp_free(a, s->dl.buf[c]);
}

void lathe_limiter_stage_reset(stage *s, uint32_t channels, int detection)
{
    for (int k = 0; k < s->n_gc; k++) {
        if (s->tp[k] && detection) {
            lathe_tpdetect_reset(s->tp[k]);
            lathe_topband_reset(s->tb[k]);
        }
        lathe_gaincomp_reset(&s->gc[k]);
    }
    delay_reset(&s->dl, channels);
    if (s->lf)
        lathe_lfpeak_reset(s->lf);
}

void lathe_limiter_stage_feed(stage *s, const float *const *x, uint32_t n)
{
    for (int k = 0; s->tp[0] && k < s->n_gc; k++) {
        lathe_topband_process(s->tb[k], s->n_gc == 1 ? x : &x[k], n, NULL);
        lathe_tpdetect_skip(s->tp[k], s->n_gc == 1 ? x : &x[k], n);
    }
}

/* [rt] The detectors' threshold for frames whose top-band bounds reach up to `bound`: a frame
 * skipped reads at most thr_base - bound, so with its bound added it still asks for nothing. */
static void set_threshold(stage *s, float bound)
{
    float thr = s->thr_base > bound ? s->thr_base - bound : 0.0f;
    if (thr > 0.0f && (double)thr + (double)bound > (double)s->thr_base)
        thr = nextafterf(thr, 0.0f);
    if (thr == s->thr)
        return;
    s->thr = thr;
    for (int k = 0; k < s->n_gc; k++)
        lathe_tpdetect_set_threshold(s->tp[k], thr);
}

/* Peak per frame for each gain computer of a stage, into pk[k]. */
static void detect(stage *s, const lathe_limiter_config *c, const float *const *x,
                   float *const *pk, uint32_t n, const float *ub)
{
    if (s->tp[0]) {
        if (s->n_gc == 1) {
            lathe_tpdetect_process_bounded(s->tp[0], x, n, ub, pk[0]);
            return;
        }
        for (int k = 0; k < s->n_gc; k++)
            lathe_tpdetect_process(s->tp[k], &x[k], n, pk[k]);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        pk[0][i] = fabsf(x[0][i]);
    for (uint32_t ch = 1; ch < c->channels; ch++) {
        float *restrict p = pk[s->n_gc == 1 ? 0 : ch];
        const float *restrict xc = x[ch];
        if (s->n_gc == 1) {
            for (uint32_t i = 0; i < n; i++)
                p[i] = fmaxf(p[i], fabsf(xc[i]));
        } else {
            for (uint32_t i = 0; i < n; i++)
                p[i] = fabsf(xc[i]);
        }
    }
}

/* Required gains: min(1, ceiling / peak), the peaks mixed towards the channels' maximum by
 * `link` (a mixed peak is never below the channel's own). Returns 1 when every gain is 1. */
LATHE_HOT_CLONES static int require(int n_gc, double link, double ceil, float *const *pk,
                                    double *const *req, uint32_t n)
{
    if (n_gc == 1) { /* linked: one peak a frame (the loops vectorise) */
        const float *restrict p = pk[0];
        double *restrict r = req[0];
        int over = 0;
        for (uint32_t i = 0; i < n; i++)
            over |= (double)p[i] > ceil;
        if (!over) { /* the common case below the ceiling: no division */
            for (uint32_t i = 0; i < n; i++)
                r[i] = 1.0;
            return 1;
        }
        for (uint32_t i = 0; i < n; i++) {
            double v = (double)p[i];
            r[i] = v > ceil ? ceil / v : 1.0;
        }
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        double pmax = 0.0;
        for (int k = 0; k < n_gc; k++) { /* fmax() as a compare: a libm call per frame */
            double v = (double)pk[k][i];
            pmax = v > pmax ? v : pmax;
        }
        for (int k = 0; k < n_gc; k++) {
            double p = n_gc == 1 ? pmax : link * pmax + (1.0 - link) * (double)pk[k][i];
            req[k][i] = p > ceil ? ceil / p : 1.0;
        }
    }
    return 0;
}

void lathe_limiter_stage_run(stage *s, const lathe_limiter_config *c, double ceil, float in_gain,
                             float *const *pk, double *const *g, const float *const *x,
                             float *const *y, uint32_t n, int below,
                             const lathe_limiter_peaks *memo, uint32_t off, const float *ub)
{
    const double *gch[LATHE_LIMITER_MAX_CHANNELS];
    float top = 0.0f;
    if (memo && memo->given) {
        for (int k = 0; k < s->n_gc; k++)
            memcpy(pk[k], memo->v[k] + off, n * sizeof(float));
    } else if (s->tp[0]) { /* the top-band bounds first: they set what detection may skip */
        for (int k = 0; k < s->n_gc; k++) {
            float t = lathe_topband_process(s->tb[k], s->n_gc == 1 ? x : &x[k], n, s->bound[k]);
            top = t > top ? t : top;
        }
        set_threshold(s, top);
    }
    if (memo && memo->given) {
        /* read above */
    } else if (below) {
        for (int k = 0; k < s->n_gc; k++) {
            lathe_tpdetect_skip(s->tp[k], s->n_gc == 1 ? x : &x[k], n);
            memset(pk[k], 0, n * sizeof(float));
        }
    } else {
        detect(s, c, x, pk, n, ub);
        for (int k = 0; top > 0.0f && k < s->n_gc; k++)
            for (uint32_t i = 0; i < n; i++)
                pk[k][i] += s->bound[k][i];
        for (int k = 0; memo && k < s->n_gc; k++)
            memcpy(memo->v[k] + off, pk[k], n * sizeof(float));
    }
    const int unity = require(s->n_gc, c->link, ceil, pk, g, n);
    /* the bridge holds what the low frequencies ask, never more than the whole: nothing where the
     * whole asks for nothing (NULL: the requirement itself) */
    const int bridged = s->lf && !unity;
    if (s->lf)
        lathe_lfpeak_process(s->lf, x, n, s->lf_pk); /* every frame: its filter state */
    if (bridged) {
        require(s->n_gc, c->link, ceil, s->lf_pk, s->lf_req, n);
        for (int k = 0; k < s->n_gc; k++)
            for (uint32_t i = 0; i < n; i++)
                s->lf_req[k][i] = s->lf_req[k][i] > g[k][i] ? s->lf_req[k][i] : g[k][i];
    }
    for (int k = 0; k < s->n_gc; k++)
        lathe_gaincomp_run(&s->gc[k], &s->rel, g[k], bridged ? s->lf_req[k] : NULL, g[k], n);
    for (uint32_t ch = 0; ch < c->channels; ch++)
        gch[ch] = g[s->n_gc == 1 ? 0 : ch];
    delay_apply(&s->dl, c->channels, x, y, gch, in_gain, n);
}

