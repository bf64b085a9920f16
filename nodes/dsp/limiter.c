/* limiter.c - lookahead true-peak limiter (see limiter.h for the design). */
#include "limiter.h"

#include "slidemin.h"
#include "tpdetect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256
/* The ceiling the gain computers aim at sits this far (relative) below the requested one: it
 * absorbs float rounding of gain * sample (a few ulps), nothing audible (1e-5 dB). */
#define CEIL_MARGIN 1e-6
/* The main stage holds its gain over this many frames either side of a peak: the core of the
 * interpolator, with its large taps (beyond it each is below 2% and they alternate in sign;
 * holding over all 121 would lengthen every gain dip by 4 ms at 48 kHz). What the far taps leave
 * over the ceiling, the safety stage, which holds over the whole reach, removes. */
#define MAIN_HOLD 17
/* Safety stage: lookahead in frames beyond its hold. Its overs are small residuals. */
#define SAFE_RAMP 32
#define SAFE_RELEASE_MS 20.0
/* Program-dependent (two-stage) release, the default. A fast envelope holds each reduction for
 * BRIDGE_MS after its peak, then returns at release_ms / FAST_DIV: the held span (with the
 * lookahead, ~12 ms) bridges the half-cycles of bass, so a steady tone sees a steady gain (60 Hz
 * 6 dB over: THD+N -85 dB, the fixed release -55), while a transient's dip is gone within
 * ~30 ms instead of ~300. A slow envelope follows the fast one down over seconds of sustained
 * limiting (SLOW_ATTACK_MS) and back up at release_ms; the lower of the two applies, so after a
 * loud passage the gain comes back at release_ms (no pumping), after a drum hit fast. Both are
 * smoothings of the requirement: when the programme asks for nothing, both return to unity,
 * whatever came before (no ratchet). Faster settings buy loudness with distortion: at
 * release_ms / 20, Opus 160k decoded limited pink noise 0.5 dB over a ceiling it now stays
 * under; an 8 ms bridge needed up to 0.25 dB more input gain on the shared mixes at -9 LUFS,
 * where 6 ms still holds 40 Hz THD+N at -69.5 dB.
 * The bridge is for transparency under light limiting. Under heavy limiting it would hold the
 * deepest dip over every dense passage and cap the loudness the limiter can reach (pink noise
 * pushed 30 dB stopped at -8.3 LUFS against -7.2 without it), so its share fades from full at
 * BRIDGE_FULL_DB of reduction to none at BRIDGE_NONE_DB, where the gain then moves as fast as
 * the fixed release's does that deep. */
#define BRIDGE_MS LATHE_LIMITER_BRIDGE_MS
#define FAST_DIV LATHE_LIMITER_FAST_DIV
#define BRIDGE_FULL_DB LATHE_LIMITER_BRIDGE_FULL_DB
#define BRIDGE_NONE_DB LATHE_LIMITER_BRIDGE_NONE_DB

typedef struct gaincomp {
    uint32_t len;              /* box length */
    lathe_slidemin held;       /* over the lookahead and the holds */
    lathe_slidemin bridged;    /* the same and the bridge after it (two-stage only) */
    double bridge_full, bridge_none; /* gains of BRIDGE_FULL_DB and BRIDGE_NONE_DB */
    double *box;
    uint32_t box_pos, since_sum;
    uint64_t ones;             /* frames since the gain was last below 1 */
    double box_sum, inv_len;
    double env, slow;          /* released envelope (fast one when two-stage), slow envelope */
    uint64_t t;
} gaincomp;

typedef struct release {
    double a_rel;   /* fixed: the release; two-stage: the slow envelope's way back up */
    double a_fast;  /* two-stage: the fast envelope's release */
    double a_slow_att; /* two-stage: the slow envelope's way down */
    int two_stage;
} release;

/* A float delay line of `delay` frames per channel. */
typedef struct delayline {
    float *buf[LATHE_LIMITER_MAX_CHANNELS];
    uint32_t mask, pos, delay;
} delayline;

/* One detector + gain computer(s) + delay: a limiter stage. */
typedef struct stage {
    int n_gc;                            /* 1 when linked, else one per channel */
    gaincomp gc[LATHE_LIMITER_MAX_CHANNELS];
    lathe_tpdetect *tp[LATHE_LIMITER_MAX_CHANNELS]; /* NULL: sample-peak detection */
    uint32_t det_latency, latency;
    release rel;
    delayline dl;
} stage;

struct lathe_limiter {
    lathe_dsp_alloc al;
    lathe_limiter_config cfg;
    double ceil_int;
    int two_stage;
    stage s1, s2;
    /* gains of stage 1 waiting for the safety stage's delay */
    double *g1_ring;
    uint32_t g1_mask, g1_pos;
    /* scratch, CHUNK frames each */
    float *pk[LATHE_LIMITER_MAX_CHANNELS];
    double *g[LATHE_LIMITER_MAX_CHANNELS];
    double *g2[LATHE_LIMITER_MAX_CHANNELS];
    float *mid[LATHE_LIMITER_MAX_CHANNELS];
    /* consecutive latest frames where every stage-1 gain was exactly 1.0 (see process) */
    uint64_t unity_run;
    /* statistics */
    uint64_t frames, stat_frames;
    double gr_sum_db, g_min;
};

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static int gaincomp_init(gaincomp *g, uint32_t win, uint32_t bridge, uint32_t len,
                         const lathe_dsp_alloc *a)
{
    g->len = len;
    g->bridge_full = pow(10.0, -BRIDGE_FULL_DB / 20.0);
    g->bridge_none = pow(10.0, -BRIDGE_NONE_DB / 20.0);
    g->box = lathe_dsp_calloc(a, len, sizeof *g->box);
    g->inv_len = 1.0 / len;
    int rc = lathe_slidemin_init(&g->held, win, a);
    if (rc == 0 && bridge)
        rc = lathe_slidemin_init(&g->bridged, win + bridge, a);
    return g->box && rc == 0 ? 0 : -1;
}

static void gaincomp_fini(gaincomp *g, const lathe_dsp_alloc *a)
{
    lathe_slidemin_fini(&g->held, a);
    lathe_slidemin_fini(&g->bridged, a);
    lathe_dsp_free(a, g->box);
}

static void gaincomp_reset(gaincomp *g)
{
    g->held.head = g->held.n = 0;
    g->bridged.head = g->bridged.n = 0;
    for (uint32_t i = 0; i < g->len; i++)
        g->box[i] = 1.0;
    g->box_sum = g->len;
    g->box_pos = g->since_sum = 0;
    g->ones = g->len;
    g->env = g->slow = 1.0;
    g->t = 0;
}

/* Unity is landed on exactly, so the pass-through is bit-exact again after a release. */
static inline double snap_unity(double e)
{
    return e > 1.0 - 1e-12 ? 1.0 : e;
}

/* [rt] Required gains in, smoothed gains out (n frames), frame by frame. */
static void gaincomp_step(gaincomp *g, const release *r, const double *req, double *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++, g->t++) {
        double held = lathe_slidemin_push(&g->held, g->t, req[i]);
        if (g->bridged.t) { /* the bridged minimum, its share by the depth (see the top) */
            double b = lathe_slidemin_push(&g->bridged, g->t, req[i]);
            double w = (b - g->bridge_none) / (g->bridge_full - g->bridge_none);
            held += (b - held) * (w >= 1.0 ? 1.0 : w <= 0.0 ? 0.0 : w);
        }
        double e = snap_unity(g->env + (1.0 - g->env) * (r->two_stage ? r->a_fast : r->a_rel));
        g->env = e < held ? e : held;
        double gain = g->env;
        if (r->two_stage) {
            double a = g->env < g->slow ? r->a_slow_att : r->a_rel;
            g->slow = snap_unity(g->slow + (g->env - g->slow) * a);
            gain = g->slow < gain ? g->slow : gain;
        }
        g->ones = gain < 1.0 ? 0 : g->ones + 1;
        g->box_sum += gain - g->box[g->box_pos];
        g->box[g->box_pos] = gain;
        if (++g->box_pos == g->len)
            g->box_pos = 0;
        if (++g->since_sum == g->len) { /* re-add exactly: no drift on long programmes */
            double s = 0.0;
            for (uint32_t k = 0; k < g->len; k++)
                s += g->box[k];
            g->box_sum = s;
            g->since_sum = 0;
        }
        double o = g->box_sum * g->inv_len;
        out[i] = o < 1.0 ? o : 1.0;
    }
}

/* [rt] gaincomp_step on n unity requirements when the computer idles at unity (envelope and
 * every held value 1, the box all ones and its sum exactly len): each frame pops the deque down
 * to itself, keeps the envelope and the box sum, and re-adds the box to len, so the state moves
 * only in time and the output is constant (len / len may round below 1). */
static void gaincomp_idle(gaincomp *g, const release *r, double *out, uint32_t n)
{
    double o = g->box_sum * g->inv_len;
    for (uint32_t i = 0; i < n; i++)
        out[i] = o < 1.0 ? o : 1.0;
    (void)r; /* both envelopes rest at unity */
    g->t += n;
    lathe_slidemin_rest(&g->held, g->t);
    if (g->bridged.t)
        lathe_slidemin_rest(&g->bridged, g->t);
    g->box_pos = (uint32_t)((g->box_pos + (uint64_t)n) % g->len);
    g->since_sum = (uint32_t)((g->since_sum + (uint64_t)n) % g->len);
    g->ones += n;
}

/* [rt] Required gains in, smoothed gains out (n frames; req and out may be the same). */
static void gaincomp_run(gaincomp *g, const release *r, const double *req, double *out, uint32_t n)
{
    int unity = g->env == 1.0 && g->slow == 1.0 && g->ones >= g->len &&
                g->box_sum == (double)g->len && lathe_slidemin_at_unity(&g->held) &&
                (!g->bridged.t || lathe_slidemin_at_unity(&g->bridged));
    for (uint32_t i = 0; unity && i < n; i++)
        unity = req[i] == 1.0;
    if (unity)
        gaincomp_idle(g, r, out, n);
    else
        gaincomp_step(g, r, req, out, n);
}

static int delay_init(delayline *d, uint32_t channels, uint32_t delay, const lathe_dsp_alloc *a)
{
    d->delay = delay;
    d->mask = pow2_at_least(delay + CHUNK) - 1;
    for (uint32_t c = 0; c < channels; c++)
        if (!(d->buf[c] = lathe_dsp_calloc(a, d->mask + 1, sizeof(float))))
            return -1;
    return 0;
}

/* [rt] y[c][i] = x[c][i - delay] * gain[c][i]. A gain of exactly 1.0 multiplies by 1.0f, so
 * the unity path is bit-exact. */
static void delay_apply(delayline *d, uint32_t channels, const float *const *x, float *const *y,
                        const double *const *gain, uint32_t n)
{
    const uint32_t m = d->mask, w = d->pos, rd = d->pos - d->delay;
    for (uint32_t c = 0; c < channels; c++) {
        float *restrict b = d->buf[c];
        const float *restrict xc = x[c];
        const double *restrict gc = gain[c];
        float *restrict yc = y[c];
        for (uint32_t i = 0; i < n; i++)
            b[(w + i) & m] = xc[i];
        for (uint32_t i = 0; i < n; i++)
            yc[i] = b[(rd + i) & m] * (float)gc[i];
    }
    d->pos = w + n;
}

static void delay_reset(delayline *d, uint32_t channels)
{
    for (uint32_t c = 0; c < channels; c++)
        memset(d->buf[c], 0, (d->mask + 1) * sizeof(float));
    d->pos = 0;
}

lathe_limiter_config lathe_limiter_config_default(uint32_t rate, uint32_t channels)
{
    lathe_limiter_config c = {
        .rate = rate, .channels = channels, .ceiling = 1.0, .lookahead_ms = 5.0,
        .release_ms = 100.0, .two_stage_release = 1, .link = 1.0, .true_peak = 1,
    };
    return c;
}

static double one_pole(double ms, uint32_t rate)
{
    return 1.0 - exp(-1000.0 / (ms * rate));
}

/* Sets up detector, gain computers (ramp frames, hold frames) and delay of one stage. */
static int stage_init(stage *s, const lathe_limiter_config *c, int n_gc, int tp, uint32_t ramp,
                      uint32_t max_hold, uint32_t bridge, const lathe_dsp_alloc *al)
{
    s->n_gc = n_gc;
    s->det_latency = 0;
    if (tp) {
        for (int k = 0; k < n_gc; k++) {
            uint32_t ch = n_gc == 1 ? c->channels : 1;
            if (lathe_tpdetect_new(c->rate, ch, al, &s->tp[k]) != 0)
                return -1;
        }
        s->det_latency = lathe_tpdetect_latency(s->tp[0]);
    }
    /* hold: a frame's true peak depends on the samples within `reach` frames of it; the gain
     * stays at or below its requirement over all of them (flat there for an isolated peak) */
    uint32_t hold = tp ? lathe_tpdetect_reach(s->tp[0]) : 0;
    hold = hold < max_hold ? hold : max_hold;
    for (int k = 0; k < n_gc; k++)
        if (gaincomp_init(&s->gc[k], ramp + 2 * hold, bridge, ramp, al) != 0)
            return -1;
    s->latency = s->det_latency + ramp + hold - 1;
    return delay_init(&s->dl, c->channels, s->latency, al);
}

static void stage_fini(stage *s, uint32_t channels, const lathe_dsp_alloc *a)
{
    for (int k = 0; k < s->n_gc; k++) {
        lathe_tpdetect_free(s->tp[k]);
        gaincomp_fini(&s->gc[k], a);
    }
    for (uint32_t c = 0; c < channels; c++)
        lathe_dsp_free(a, s->dl.buf[c]);
}

static void stage_reset(stage *s, uint32_t channels)
{
    for (int k = 0; k < s->n_gc; k++) {
        if (s->tp[k])
            lathe_tpdetect_reset(s->tp[k]);
        gaincomp_reset(&s->gc[k]);
    }
    delay_reset(&s->dl, channels);
}

/* The detectors need exact peaks only where they can exceed the ceiling: below it the gain
 * asked for is 1 whatever the peak. That holds per detector when the peaks are linked (one
 * detector) or independent; a partial link mixes every channel's exact peak into the others'. */
static void skip_quiet_frames(lathe_limiter *l)
{
    if (l->s1.n_gc > 1 && l->cfg.link != 0.0)
        return;
    float thr = (float)l->ceil_int;
    if ((double)thr > l->ceil_int)
        thr = nextafterf(thr, 0.0f);
    for (int k = 0; k < l->s1.n_gc; k++) {
        if (l->s1.tp[k])
            lathe_tpdetect_set_threshold(l->s1.tp[k], thr);
        if (l->two_stage)
            lathe_tpdetect_set_threshold(l->s2.tp[k], thr);
    }
}

int lathe_limiter_new(const lathe_limiter_config *cfg, const lathe_dsp_alloc *al,
                      lathe_limiter **out)
{
    const lathe_limiter_config *c = cfg;
    if (c->channels < 1 || c->channels > LATHE_LIMITER_MAX_CHANNELS || c->rate < 1000 ||
        !(c->ceiling > 0.0) || !(c->lookahead_ms > 0.0) || !(c->release_ms > 0.0) ||
        !(c->link >= 0.0 && c->link <= 1.0))
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_limiter *l = lathe_dsp_calloc(&a, 1, sizeof *l);
    if (!l)
        return LATHE_DSP_NOMEM;
    l->al = a;
    l->cfg = *c;
    l->ceil_int = c->ceiling * (1.0 - CEIL_MARGIN);
    l->two_stage = c->true_peak;
    uint32_t ramp = (uint32_t)lround(c->lookahead_ms * 1e-3 * c->rate);
    ramp = ramp < 1 ? 1 : ramp;
    int n_gc = (c->link >= 1.0 || c->channels == 1) ? 1 : (int)c->channels;
    /* the bridge extends the held minimum after each peak only: no extra latency */
    uint32_t bridge = c->two_stage_release ? (uint32_t)lround(BRIDGE_MS * 1e-3 * c->rate) : 0;
    int rc = stage_init(&l->s1, c, n_gc, c->true_peak, ramp, MAIN_HOLD, bridge, &a);
    l->s1.rel = (release){ one_pole(c->release_ms, c->rate),
                           one_pole(c->release_ms / FAST_DIV, c->rate),
                           one_pole(LATHE_LIMITER_SLOW_ATTACK_MS, c->rate), c->two_stage_release };
    if (rc == 0 && l->two_stage) {
        rc = stage_init(&l->s2, c, n_gc, 1, SAFE_RAMP, UINT32_MAX, 0, &a);
        l->s2.rel = (release){ one_pole(SAFE_RELEASE_MS, c->rate), 0.0, 0.0, 0 };
        l->g1_mask = pow2_at_least(l->s2.latency + CHUNK) - 1;
        if (rc == 0 && !(l->g1_ring = lathe_dsp_calloc(&a, l->g1_mask + 1, sizeof(double))))
            rc = -1;
    }
    for (uint32_t k = 0; rc == 0 && k < c->channels; k++) {
        l->pk[k] = lathe_dsp_calloc(&a, CHUNK, sizeof(float));
        l->g[k] = lathe_dsp_calloc(&a, CHUNK, sizeof(double));
        l->mid[k] = lathe_dsp_calloc(&a, CHUNK, sizeof(float));
        l->g2[k] = lathe_dsp_calloc(&a, CHUNK, sizeof(double));
        if (!l->pk[k] || !l->g[k] || !l->mid[k] || !l->g2[k])
            rc = -1;
    }
    if (rc != 0) {
        lathe_limiter_free(l);
        return LATHE_DSP_NOMEM;
    }
    skip_quiet_frames(l);
    lathe_limiter_reset(l);
    *out = l;
    return 0;
}

void lathe_limiter_free(lathe_limiter *l)
{
    if (!l)
        return;
    lathe_dsp_alloc a = l->al;
    stage_fini(&l->s1, l->cfg.channels, &a);
    stage_fini(&l->s2, l->cfg.channels, &a);
    lathe_dsp_free(&a, l->g1_ring);
    for (uint32_t k = 0; k < l->cfg.channels; k++) {
        lathe_dsp_free(&a, l->pk[k]);
        lathe_dsp_free(&a, l->g[k]);
        lathe_dsp_free(&a, l->mid[k]);
        lathe_dsp_free(&a, l->g2[k]);
    }
    lathe_dsp_free(&a, l);
}

uint32_t lathe_limiter_latency(const lathe_limiter *l)
{
    return l->s1.latency + (l->two_stage ? l->s2.latency : 0);
}

void lathe_limiter_reset(lathe_limiter *l)
{
    stage_reset(&l->s1, l->cfg.channels);
    if (l->two_stage) {
        stage_reset(&l->s2, l->cfg.channels);
        for (uint32_t i = 0; i <= l->g1_mask; i++)
            l->g1_ring[i] = 1.0;
        l->g1_pos = 0;
    }
    l->frames = 0;
    l->unity_run = 0;
    l->gr_sum_db = 0.0;
    l->g_min = 1.0;
}

/* Peak per frame for each gain computer of a stage, into pk[k]. */
static void detect(stage *s, const lathe_limiter_config *c, const float *const *x,
                   float *const *pk, uint32_t n)
{
    if (s->tp[0]) {
        if (s->n_gc == 1) {
            lathe_tpdetect_process(s->tp[0], x, n, pk[0]);
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
 * `link` (a mixed peak is never below the channel's own). */
static void require(int n_gc, double link, double ceil, float *const *pk, double *const *req,
                    uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        double pmax = 0.0;
        for (int k = 0; k < n_gc; k++)
            pmax = fmax(pmax, (double)pk[k][i]);
        for (int k = 0; k < n_gc; k++) {
            double p = n_gc == 1 ? pmax : link * pmax + (1.0 - link) * (double)pk[k][i];
            req[k][i] = p > ceil ? ceil / p : 1.0;
        }
    }
}

/* Runs a stage on n frames: x in, y out; the gain computers' output stays in g. `below`: the
 * caller knows every peak of these frames is at or below the ceiling (the detectors only take
 * the samples into their history, and the peaks read 0, which asks for the same gain 1). */
static void stage_run(stage *s, const lathe_limiter_config *c, double ceil, float *const *pk,
                      double *const *g, const float *const *x, float *const *y, uint32_t n,
                      int below)
{
    const double *gch[LATHE_LIMITER_MAX_CHANNELS];
    if (below) {
        for (int k = 0; k < s->n_gc; k++) {
            lathe_tpdetect_skip(s->tp[k], s->n_gc == 1 ? x : &x[k], n);
            memset(pk[k], 0, n * sizeof(float));
        }
    } else {
        detect(s, c, x, pk, n);
    }
    require(s->n_gc, c->link, ceil, pk, g, n);
    for (int k = 0; k < s->n_gc; k++)
        gaincomp_run(&s->gc[k], &s->rel, g[k], g[k], n);
    for (uint32_t ch = 0; ch < c->channels; ch++)
        gch[ch] = g[s->n_gc == 1 ? 0 : ch];
    delay_apply(&s->dl, c->channels, x, y, gch, n);
}

/* The gain applied to each output frame, into g1 in place, plus statistics: per stage the
 * smallest over the channels, stage 1 delayed by stage 2's latency, times stage 2. */
static void total_gain(lathe_limiter *l, double *g1, uint32_t n)
{
    for (int k = 1; k < l->s1.n_gc; k++)
        for (uint32_t i = 0; i < n; i++)
            g1[i] = fmin(g1[i], l->g[k][i]);
    if (l->two_stage) {
        const uint32_t m = l->g1_mask, d = l->s2.latency;
        for (uint32_t i = 0; i < n; i++) {
            double g2 = l->g2[0][i];
            for (int k = 1; k < l->s2.n_gc; k++)
                g2 = fmin(g2, l->g2[k][i]);
            l->g1_ring[(l->g1_pos + i) & m] = g1[i];
            g1[i] = l->g1_ring[(l->g1_pos + i - d) & m] * g2;
        }
        l->g1_pos += n;
    }
    const uint64_t lat = lathe_limiter_latency(l);
    const uint64_t end = l->stat_frames ? lat + l->stat_frames : UINT64_MAX;
    /* the reductions in dB add up as the log of a product: one log per chunk, not per frame
     * (the product is renormalised before it could underflow) */
    double prod = 1.0;
    int exp2 = 0;
    for (uint32_t i = 0; i < n; i++, l->frames++) {
        if (l->frames < lat || l->frames >= end || g1[i] >= 1.0)
            continue;
        l->g_min = fmin(l->g_min, g1[i]);
        prod *= g1[i];
        if (prod < 0x1p-900) {
            int e;
            prod = frexp(prod, &e);
            exp2 += e;
        }
    }
    l->gr_sum_db -= 20.0 * (log10(prod) + exp2 * 0.30102999566398119521);
}

/* Whether the safety stage may skip detection for the n frames stage 1 just produced. Where
 * every stage-1 gain is exactly 1.0, stage 1 passed its input bit-exact (x * 1.0f), and a gain
 * of 1.0 at a frame means its own peak asked for nothing: at or below the ceiling. If that holds
 * over every sample the safety detector's frames read (the chunk and 2 * reach before it), those
 * frames are the first stage's, already known to be below: their gain is 1 whatever is measured.
 * In a lightly limited master that is most of the time, and half of the detection work. */
static int untouched(lathe_limiter *l, uint32_t n)
{
    uint32_t trail = 0;
    for (uint32_t i = n; i-- > 0;) {
        int one = 1;
        for (int k = 0; k < l->s1.n_gc; k++)
            one &= l->g[k][i] == 1.0;
        if (!one)
            break;
        trail++;
    }
    l->unity_run = trail == n ? l->unity_run + n : trail;
    return l->s2.tp[0] && l->unity_run >= n + 2 * (uint64_t)lathe_tpdetect_reach(l->s2.tp[0]);
}

void lathe_limiter_process(lathe_limiter *l, const float *const *in, float *const *out,
                           uint32_t n, float *gain_out)
{
    const uint32_t nch = l->cfg.channels;
    const float *x[LATHE_LIMITER_MAX_CHANNELS];
    float *y[LATHE_LIMITER_MAX_CHANNELS];
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < CHUNK ? n - done : CHUNK;
        for (uint32_t c = 0; c < nch; c++) {
            x[c] = in[c] + done;
            y[c] = out[c] + done;
        }
        if (l->two_stage) {
            stage_run(&l->s1, &l->cfg, l->ceil_int, l->pk, l->g, x, l->mid, k, 0);
            stage_run(&l->s2, &l->cfg, l->ceil_int, l->pk, l->g2, (const float *const *)l->mid,
                      y, k, untouched(l, k));
        } else {
            stage_run(&l->s1, &l->cfg, l->ceil_int, l->pk, l->g, x, y, k, 0);
        }
        total_gain(l, l->g[0], k);
        if (gain_out)
            for (uint32_t i = 0; i < k; i++)
                gain_out[done + i] = (float)l->g[0][i];
        done += k;
    }
}

void lathe_limiter_set_length(lathe_limiter *l, uint64_t frames)
{
    l->stat_frames = frames;
}

void lathe_limiter_stats(const lathe_limiter *l, double *gr_max_db, double *gr_avg_db)
{
    uint64_t lat = lathe_limiter_latency(l);
    uint64_t n = l->frames > lat ? l->frames - lat : 0;
    if (l->stat_frames && n > l->stat_frames)
        n = l->stat_frames;
    *gr_max_db = l->g_min < 1.0 ? -20.0 * log10(l->g_min) : 0.0;
    *gr_avg_db = n ? l->gr_sum_db / (double)n : 0.0;
}
