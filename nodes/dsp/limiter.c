/* limiter.c - lookahead true-peak limiter (see limiter.h for the design). */
#include "limiter.h"

#include "limiter_safety.h"
#include "limiter_stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
/* Program-dependent (two-stage) release, the default. A fast envelope holds a reduction for
 * BRIDGE_MS after its peak, then returns at release_ms / FAST_DIV (5 ms); a slow envelope
 * follows it down over seconds of sustained limiting (SLOW_ATTACK_MS) and back up at
 * release_ms; the lower of the two applies, so after a loud passage the gain comes back at
 * release_ms (no pumping), after a drum hit within ~15 ms. Both are smoothings of the
 * requirement: when the programme asks for nothing, both return to unity, whatever came before
 * (no ratchet).
 * The bridge holds only what the low frequencies ask: each channel low-passed at LF_HZ, its
 * peaks raised by LF_MARGIN_DB (so a bass-led peak, whose low-passed peak lags and droops a
 * little, is bridged whole), never more than the whole peak asks. A bass half-cycle is longer
 * than the lookahead, and a gain released inside it distorts (60 Hz 6 dB over: THD+N -81 dB
 * bridged, -42 without); a snare or a hi-hat over the ceiling is released at once. x42-dpl
 * does the like with a 500 Hz low-passed peak held 16 ms. On the four shared mixes at -9 LUFS,
 * against bridging every peak 6 ms behind a 5 ms lookahead (the previous design), this needs
 * 0.3-1.6 dB less input gain and 20-45% less gain reduction, and takes the 1 dB-reduced time of
 * the densest mix from 59% to 13%, below x42-dpl's on every mix (bench_limiter.sh).
 * Under heavy limiting the bridge would hold the deepest dip over every dense passage and cap
 * the loudness the limiter can reach (pink noise pushed 30 dB stopped at -8.3 LUFS against -7.2
 * without it), so its share fades from full at LATHE_LIMITER_BRIDGE_FULL_DB of reduction to
 * none at LATHE_LIMITER_BRIDGE_NONE_DB (gaincomp.c). */
#define BRIDGE_MS LATHE_LIMITER_BRIDGE_MS
#define FAST_DIV LATHE_LIMITER_FAST_DIV
#define LF_HZ 300.0
#define LF_MARGIN_DB 3.0

struct lathe_limiter {
    lathe_dsp_alloc al;
    lathe_limiter_config cfg;
    double ceil_int;
    /* the input gain (set_input_gain): the main stage compares the ungained input's peaks with
     * ceil1 = ceil_int / in_gain; the delay line applies in_gain with the reduction */
    float in_gain;
    double ceil1;
    int skip_ok; /* the main stage's detectors may skip quiet frames (see skip_quiet_frames) */
    int two_stage;
    stage s1, s2;
    /* gains of stage 1 waiting for the safety stage's delay */
    double *g1_ring;
    uint32_t g1_mask, g1_pos;
    /* the main stage's peaks delayed to its output (p1_ring, p1_delay), and the safety stage's
     * bounds from them (limiter_safety.h); bounded: linked true-peak two-stage limiting */
    int bounded, verify;
    float *p1_ring, *pm, *ub;
    uint32_t p1_mask, p1_pos, p1_delay;
    safety_bound sb;
    uint64_t bound_skips, bound_misses;
    /* scratch, LIMITER_CHUNK frames each (pk for the main stage's detectors, pk2 the safety
     * stage's) */
    float *pk[LATHE_LIMITER_MAX_CHANNELS], *pk2[LATHE_LIMITER_MAX_CHANNELS];
    double *g[LATHE_LIMITER_MAX_CHANNELS];
    double *g2[LATHE_LIMITER_MAX_CHANNELS];
    float *mid[LATHE_LIMITER_MAX_CHANNELS];
    /* the halves' hand-over (lathe_limiter_split): the main stage's output, gains and peaks */
    struct slot {
        float *mid[LATHE_LIMITER_MAX_CHANNELS];
        double *g[LATHE_LIMITER_MAX_CHANNELS];
        float *pm;
        uint32_t n;
    } slot[2];
    /* consecutive latest frames where every stage-1 gain was exactly 1.0 (see process) */
    uint64_t unity_run;
    /* statistics */
    uint64_t frames, stat_frames;
    double gr_sum_db, g_min;
};

lathe_limiter_config lathe_limiter_config_default(uint32_t rate, uint32_t channels)
{
    lathe_limiter_config c = {
        .rate = rate, .channels = channels, .ceiling = 1.0, .lookahead_ms = 3.0,
        .release_ms = 100.0, .two_stage_release = 1, .link = 1.0, .true_peak = 1,
    };
    return c;
}

static double one_pole(double ms, uint32_t rate)
{
    return 1.0 - exp(-1000.0 / (ms * rate));
}

/* The largest float at or below v. */
static float threshold_below(double v)
{
    float thr = (float)v;
    return (double)thr > v ? nextafterf(thr, 0.0f) : thr;
}

/* The detectors need exact peaks only where they can exceed the ceiling: below it the gain
 * asked for is 1 whatever the peak. That holds per detector when the peaks are linked (one
 * detector) or independent; a partial link mixes every channel's exact peak into the others'. */
static void skip_quiet_frames(lathe_limiter *l)
{
    l->skip_ok = !(l->s1.n_gc > 1 && l->cfg.link != 0.0);
    if (!l->skip_ok)
        return;
    l->s1.thr_base = l->s1.tp[0] ? threshold_below(l->ceil_int) : 0.0f;
    l->s2.thr_base = l->two_stage ? threshold_below(l->ceil_int) : 0.0f;
}

void lathe_limiter_set_input_gain(lathe_limiter *l, float g, float g_detect)
{
    if (!(g > 0.0f) || !isfinite(g))
        g = 1.0f;
    if (!(g_detect >= g) || !isfinite(g_detect))
        g_detect = g;
    l->in_gain = g;
    l->ceil1 = l->ceil_int / (double)g;
    if (l->skip_ok && l->s1.tp[0])
        l->s1.thr_base = threshold_below(l->ceil_int / (double)g_detect);
}

int lathe_limiter_peak_channels(const lathe_limiter *l)
{
    return l->s1.n_gc;
}

double lathe_limiter_peaks_threshold(const lathe_limiter *l)
{
    return (double)l->s1.thr_base;
}

double lathe_limiter_peaks_need(const lathe_limiter *l)
{
    return l->ceil1;
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
    l->in_gain = 1.0f;
    l->ceil1 = l->ceil_int;
    l->two_stage = c->true_peak;
    uint32_t ramp = (uint32_t)lround(c->lookahead_ms * 1e-3 * c->rate);
    ramp = ramp < 1 ? 1 : ramp;
    int n_gc = (c->link >= 1.0 || c->channels == 1) ? 1 : (int)c->channels;
    /* the bridge extends the held minimum after each peak only: no extra latency */
    uint32_t bridge = c->two_stage_release ? (uint32_t)lround(BRIDGE_MS * 1e-3 * c->rate) : 0;
    int rc = lathe_limiter_stage_init(&l->s1, c, n_gc, c->true_peak, ramp, MAIN_HOLD, bridge, &a);
    l->s1.rel = (lathe_release){ one_pole(c->release_ms, c->rate),
                           one_pole(c->release_ms / FAST_DIV, c->rate),
                           one_pole(LATHE_LIMITER_SLOW_ATTACK_MS, c->rate), c->two_stage_release };
    if (rc == 0 && bridge) {
        stage *s = &l->s1;
        rc = lathe_lfpeak_new(c->rate, c->channels, n_gc == 1, LF_HZ, LF_MARGIN_DB,
                              s->det_latency, &a, &s->lf);
        for (int k = 0; rc == 0 && k < n_gc; k++)
            if (!(s->lf_pk[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float))) ||
                !(s->lf_req[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(double))))
                rc = -1;
    }
    if (rc == 0 && l->two_stage) {
        rc = lathe_limiter_stage_init(&l->s2, c, n_gc, 1, SAFE_RAMP, UINT32_MAX, 0, &a);
        l->s2.rel = (lathe_release){ one_pole(SAFE_RELEASE_MS, c->rate), 0.0, 0.0, 0 };
        l->g1_mask = lathe_limiter_pow2_at_least(l->s2.latency + LIMITER_CHUNK) - 1;
        if (rc == 0 && !(l->g1_ring = lathe_dsp_calloc(&a, l->g1_mask + 1, sizeof(double))))
            rc = -1;
    }
    l->bounded = rc == 0 && l->two_stage && n_gc == 1;
    if (l->bounded) {
        l->p1_delay = l->s1.latency - l->s1.det_latency;
        l->p1_mask = lathe_limiter_pow2_at_least(l->p1_delay + LIMITER_CHUNK) - 1;
        if (!(l->p1_ring = lathe_dsp_calloc(&a, l->p1_mask + 1, sizeof(float))) ||
            !(l->pm = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float))) ||
            !(l->ub = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float))) ||
            lathe_safety_bound_init(&l->sb, l->s2.tp[0], &a) != 0)
            rc = -1;
    }
    for (uint32_t k = 0; rc == 0 && k < c->channels; k++) {
        l->pk[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float));
        l->pk2[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float));
        l->g[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(double));
        l->mid[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(float));
        l->g2[k] = lathe_dsp_calloc(&a, LIMITER_CHUNK, sizeof(double));
        if (!l->pk[k] || !l->pk2[k] || !l->g[k] || !l->mid[k] || !l->g2[k])
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
    lathe_limiter_stage_fini(&l->s1, l->cfg.channels, &a);
    lathe_limiter_stage_fini(&l->s2, l->cfg.channels, &a);
    lathe_dsp_free(&a, l->g1_ring);
    if (l->bounded)
        lathe_safety_bound_fini(&l->sb, &a);
    lathe_dsp_free(&a, l->p1_ring);
    lathe_dsp_free(&a, l->pm);
    lathe_dsp_free(&a, l->ub);
    for (int s = 0; s < 2; s++)
        lathe_dsp_free(&a, l->slot[s].pm);
    for (uint32_t k = 0; k < l->cfg.channels; k++) {
        lathe_dsp_free(&a, l->pk[k]);
        lathe_dsp_free(&a, l->pk2[k]);
        lathe_dsp_free(&a, l->g[k]);
        for (int s = 0; s < 2; s++) {
            lathe_dsp_free(&a, l->slot[s].mid[k]);
            lathe_dsp_free(&a, l->slot[s].g[k]);
        }
        lathe_dsp_free(&a, l->mid[k]);
        lathe_dsp_free(&a, l->g2[k]);
    }
    lathe_dsp_free(&a, l);
}

uint32_t lathe_limiter_latency(const lathe_limiter *l)
{
    return l->s1.latency + (l->two_stage ? l->s2.latency : 0);
}

/* detection 0: the main stage's detector and top-band bound keep their history. */
static void reset(lathe_limiter *l, int detection)
{
    lathe_limiter_stage_reset(&l->s1, l->cfg.channels, detection);
    if (l->two_stage) {
        lathe_limiter_stage_reset(&l->s2, l->cfg.channels, 1);
        for (uint32_t i = 0; i <= l->g1_mask; i++)
            l->g1_ring[i] = 1.0;
        l->g1_pos = 0;
    }
    if (l->bounded) {
        memset(l->p1_ring, 0, (l->p1_mask + 1) * sizeof(float));
        l->p1_pos = 0;
        lathe_safety_bound_reset(&l->sb);
    }
    l->frames = 0;
    l->unity_run = 0;
    l->gr_sum_db = 0.0;
    l->g_min = 1.0;
}

void lathe_limiter_reset(lathe_limiter *l)
{
    reset(l, 1);
}

void lathe_limiter_reset_gains(lathe_limiter *l)
{
    reset(l, 0);
}

void lathe_limiter_feed(lathe_limiter *l, const float *const *in, uint32_t n)
{
    lathe_limiter_stage_feed(&l->s1, in, n);
}

/* The gain applied to each output frame, into g[0] in place, plus statistics: per stage the
 * smallest over the channels, stage 1 (gains g) delayed by stage 2's latency, times stage 2.
 * The ring is written and read as at most two runs each, and a chunk with no reduction in its
 * statistics' span is passed over whole, so the per-frame loops vectorise. */
static void total_gain(lathe_limiter *l, double *const *g, uint32_t n)
{
    double *g1 = g[0];
    for (int k = 1; k < l->s1.n_gc; k++)
        for (uint32_t i = 0; i < n; i++)
            g1[i] = fmin(g1[i], g[k][i]);
    if (l->two_stage) {
        double *restrict g2 = l->g2[0]; /* the stage's scratch: its minimum folded in place */
        for (int k = 1; k < l->s2.n_gc; k++)
            for (uint32_t i = 0; i < n; i++)
                g2[i] = fmin(g2[i], l->g2[k][i]);
        const uint32_t m = l->g1_mask, w = l->g1_pos & m, rd = (l->g1_pos - l->s2.latency) & m;
        const uint32_t w1 = m + 1 - w < n ? m + 1 - w : n, r1 = m + 1 - rd < n ? m + 1 - rd : n;
        double *restrict ring = l->g1_ring;
        memcpy(ring + w, g1, w1 * sizeof(double));
        memcpy(ring, g1 + w1, (n - w1) * sizeof(double));
        for (uint32_t i = 0; i < r1; i++)
            g1[i] = ring[rd + i] * g2[i];
        for (uint32_t i = r1; i < n; i++)
            g1[i] = ring[i - r1] * g2[i];
        l->g1_pos += n;
    }
    const uint64_t lat = lathe_limiter_latency(l), f0 = l->frames;
    const uint64_t end = l->stat_frames ? lat + l->stat_frames : UINT64_MAX;
    l->frames += n;
    int reduced = 0;
    for (uint32_t i = 0; i < n; i++)
        reduced |= g1[i] < 1.0;
    if (!reduced || f0 + n <= lat || f0 >= end)
        return;
    /* the reductions in dB add up as the log of a product: one log per chunk, not per frame
     * (the product is renormalised before it could underflow). Over the frames the statistics
     * span, a gain at or above 1 counts as 1: times 1.0 leaves the product exact, and no branch
     * guesses at which frames are reduced. */
    double prod = 1.0, g_min = l->g_min; /* locals: g1 may alias l for the compiler */
    int exp2 = 0;
    const uint32_t i0 = f0 < lat ? (uint32_t)(lat - f0) : 0;
    const uint32_t i1 = end - f0 < n ? (uint32_t)(end - f0) : n;
    for (uint32_t i = i0; i < i1; i++) {
        const double v = g1[i] >= 1.0 ? 1.0 : g1[i]; /* a NaN stays, as it did */
        g_min = v < g_min ? v : g_min; /* fmin's value, a NaN g1 losing as there */
        prod *= v;
        if (prod < 0x1p-900) {
            int e;
            prod = frexp(prod, &e);
            exp2 += e;
        }
    }
    l->g_min = g_min;
    l->gr_sum_db -= 20.0 * (log10(prod) + exp2 * 0.30102999566398119521);
}

/* Whether the safety stage may skip detection for the n frames stage 1 just produced. Where
 * every stage-1 gain is exactly 1.0, stage 1 passed its input bit-exact (x * 1.0f), and a gain
 * of 1.0 at a frame means its own peak asked for nothing: at or below the ceiling. If that holds
 * over every sample the safety detector's frames read (the chunk and 2 * reach before it), those
 * frames are the first stage's, already known to be below: their gain is 1 whatever is measured.
 * In a lightly limited master that is most of the time, and half of the detection work. With an
 * input gain stage 1 passed x * in_gain rounded, whose peaks may exceed in_gain times x's by the
 * interpolated rounding (~1e-7 relative): CEIL_MARGIN keeps that under the ceiling. */
static int untouched(lathe_limiter *l, double *const *g, uint32_t n)
{
    int all = 1; /* the common case first, in a loop that vectorises */
    for (int k = 0; k < l->s1.n_gc; k++)
        all &= lathe_gains_unity(g[k], n);
    uint32_t trail = all ? n : 0;
    for (uint32_t i = n; !all && i-- > 0;) {
        int one = 1;
        for (int k = 0; k < l->s1.n_gc; k++)
            one &= g[k][i] == 1.0;
        if (!one)
            break;
        trail++;
    }
    l->unity_run = trail == n ? l->unity_run + n : trail;
    return l->s2.tp[0] && l->unity_run >= n + 2 * (uint64_t)lathe_tpdetect_reach(l->s2.tp[0]);
}

/* An upper bound of the main stage's exact reading wherever its peaks (detected now, or given)
 * say less: their detection's threshold, below which frames are not measured exactly. */
static float peaks_floor(const lathe_limiter *l, const lathe_limiter_peaks *memo)
{
    double f = !memo || !memo->given ? (double)l->s1.thr_base
               : memo->threshold > 0.0 ? memo->threshold : l->ceil1;
    float v = (float)f;
    return (double)v < f ? nextafterf(v, INFINITY) : v;
}

/* The main stage on k <= LIMITER_CHUNK frames: x in, its output into mid, its gains into g, and
 * (bounded) an upper bound of its exact reading of the frames now in mid into pm. */
static void front_chunk(lathe_limiter *l, const float *const *x, double *const *g,
                        float *const *mid, float *pm, uint32_t k,
                        const lathe_limiter_peaks *memo, uint32_t off)
{
    lathe_limiter_stage_run(&l->s1, &l->cfg, l->ceil1, l->in_gain, l->pk, g, x, mid, k, 0, memo,
                            off, NULL);
    if (!l->bounded)
        return;
    const uint32_t m = l->p1_mask, rd = l->p1_pos - l->p1_delay;
    const float floor = peaks_floor(l, memo);
    for (uint32_t i = 0; i < k; i++)
        l->p1_ring[(l->p1_pos + i) & m] = l->pk[0][i] > floor ? l->pk[0][i] : floor;
    for (uint32_t i = 0; i < k; i++)
        pm[i] = l->p1_ring[(rd + i) & m];
    l->p1_pos += k;
}

/* The safety stage on k frames, its detection bounded by the main stage's peaks pm where they
 * allow (limiter_safety.h). In verify mode every frame is measured and the bounds are checked
 * against the measurement. */
static void safety_chunk(lathe_limiter *l, double *const *g, const float *const *mid,
                         const float *pm, float *const *y, uint32_t k)
{
    int below = untouched(l, g, k);
    const float *ub = NULL;
    if (l->bounded) {
        lathe_safety_bound_run(&l->sb, g[0], l->in_gain, mid, l->cfg.channels, pm, k,
                               l->s2.thr_base, below ? NULL : l->ub);
        ub = below || l->verify ? NULL : l->ub;
    }
    lathe_limiter_stage_run(&l->s2, &l->cfg, l->ceil_int, 1.0f, l->pk2, l->g2, mid, y, k, below,
                            NULL, 0, ub);
    if (!l->bounded || below)
        return;
    /* counted in locals: through l, every frame stored both counters */
    uint64_t skips = 0, misses = 0;
    const float thr = l->s2.thr, thr_base = l->s2.thr_base;
    for (uint32_t i = 0; i < k; i++)
        skips += !(l->ub[i] > thr);
    if (l->verify) /* the tests' mode: every frame measured too */
        for (uint32_t i = 0; i < k; i++)
            misses += !(l->ub[i] > thr) && l->pk2[0][i] > thr_base;
    l->bound_skips += skips;
    l->bound_misses += misses;
}

/* The rest on the main stage's output mid and gains g: the safety stage (single-stage: mid is
 * the output already, or is copied to it), the total gain, its statistics. */
static void back_chunk(lathe_limiter *l, double *const *g, const float *const *mid,
                       const float *pm, float *const *y, uint32_t k, float *gain_out)
{
    if (l->two_stage)
        safety_chunk(l, g, mid, pm, y, k);
    else
        for (uint32_t c = 0; c < l->cfg.channels; c++)
            if (y[c] != mid[c])
                memcpy(y[c], mid[c], k * sizeof(float));
    total_gain(l, g, k);
    if (gain_out)
        for (uint32_t i = 0; i < k; i++)
            gain_out[i] = (float)g[0][i];
}

void lathe_limiter_verify_bounds(lathe_limiter *l, int on)
{
    l->verify = on;
}

void lathe_limiter_bound_stats(const lathe_limiter *l, uint64_t *skipped, uint64_t *misses)
{
    *skipped = l->bound_skips;
    *misses = l->bound_misses;
}

void lathe_limiter_process(lathe_limiter *l, const float *const *in, float *const *out,
                           uint32_t n, float *gain_out)
{
    lathe_limiter_process_peaks(l, in, out, n, gain_out, NULL);
}

void lathe_limiter_process_peaks(lathe_limiter *l, const float *const *in, float *const *out,
                                 uint32_t n, float *gain_out, const lathe_limiter_peaks *pk)
{
    const uint32_t nch = l->cfg.channels;
    const float *x[LATHE_LIMITER_MAX_CHANNELS];
    float *y[LATHE_LIMITER_MAX_CHANNELS];
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < LIMITER_CHUNK ? n - done : LIMITER_CHUNK;
        for (uint32_t c = 0; c < nch; c++) {
            x[c] = in[c] + done;
            y[c] = out[c] + done;
        }
        float *const *mid = l->two_stage ? l->mid : y;
        front_chunk(l, x, l->g, mid, l->pm, k, pk, done);
        back_chunk(l, l->g, (const float *const *)mid, l->pm, y, k,
                   gain_out ? gain_out + done : NULL);
        done += k;
    }
}

int lathe_limiter_split(lathe_limiter *l)
{
    for (int s = 0; s < 2; s++)
        for (uint32_t c = 0; c < l->cfg.channels; c++) {
            struct slot *h = &l->slot[s];
            if (!h->mid[c])
                h->mid[c] = lathe_dsp_calloc(&l->al, LATHE_LIMITER_SPLIT_MAX, sizeof(float));
            if (!h->g[c])
                h->g[c] = lathe_dsp_calloc(&l->al, LATHE_LIMITER_SPLIT_MAX, sizeof(double));
            if (!h->mid[c] || !h->g[c])
                return LATHE_DSP_NOMEM;
        }
    for (int s = 0; s < 2 && l->bounded; s++)
        if (!l->slot[s].pm &&
            !(l->slot[s].pm = lathe_dsp_calloc(&l->al, LATHE_LIMITER_SPLIT_MAX, sizeof(float))))
            return LATHE_DSP_NOMEM;
    return LATHE_DSP_OK;
}

void lathe_limiter_front(lathe_limiter *l, const float *const *in, uint32_t n, int slot)
{
    lathe_limiter_front_peaks(l, in, n, slot, NULL);
}

void lathe_limiter_front_peaks(lathe_limiter *l, const float *const *in, uint32_t n, int slot,
                               const lathe_limiter_peaks *pk)
{
    struct slot *h = &l->slot[slot];
    const float *x[LATHE_LIMITER_MAX_CHANNELS];
    float *mid[LATHE_LIMITER_MAX_CHANNELS];
    double *g[LATHE_LIMITER_MAX_CHANNELS];
    h->n = n;
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < LIMITER_CHUNK ? n - done : LIMITER_CHUNK;
        for (uint32_t c = 0; c < l->cfg.channels; c++) {
            x[c] = in[c] + done;
            mid[c] = h->mid[c] + done;
            g[c] = h->g[c] + done;
        }
        front_chunk(l, x, g, mid, h->pm ? h->pm + done : NULL, k, pk, done);
        done += k;
    }
}

void lathe_limiter_back(lathe_limiter *l, int slot, float *const *out, float *gain_out)
{
    struct slot *h = &l->slot[slot];
    const float *mid[LATHE_LIMITER_MAX_CHANNELS];
    float *y[LATHE_LIMITER_MAX_CHANNELS];
    double *g[LATHE_LIMITER_MAX_CHANNELS];
    for (uint32_t done = 0; done < h->n;) {
        uint32_t k = h->n - done < LIMITER_CHUNK ? h->n - done : LIMITER_CHUNK;
        for (uint32_t c = 0; c < l->cfg.channels; c++) {
            mid[c] = h->mid[c] + done;
            y[c] = out[c] + done;
            g[c] = h->g[c] + done;
        }
        back_chunk(l, g, mid, h->pm ? h->pm + done : NULL, y, k,
                   gain_out ? gain_out + done : NULL);
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
