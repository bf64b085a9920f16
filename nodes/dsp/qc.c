/* qc.c - sample-level QC detectors (see qc.h). */
#include "qc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QC_CHUNK 1024

typedef struct click_state {
    float x1, x2, x3;  /* last three samples */
    double sum;        /* sum of |d| over the ring */
    int64_t last;      /* frame of the last click event, -1 none */
} click_state;

struct lathe_qc {
    lathe_qc_summary s;
    uint32_t win;       /* click window (odd) */
    uint32_t merge;     /* frames within which clicks merge */
    float *ring;        /* per channel: win past |d| values, then QC_CHUNK new ones */
    float xe[QC_CHUNK + 3];
    double *prefix;     /* prefix sums of one channel's ring, win + QC_CHUNK + 1 */
    uint32_t guard;     /* frames each side of a spike left out of its neighbourhood */
    int finished;
    click_state cs[LATHE_QC_MAX_CH];
    uint32_t run[LATHE_QC_MAX_CH];  /* current full-scale run length */
    float run_level[LATHE_QC_MAX_CH];
    uint32_t nf_len, nf_pos;        /* noise floor window */
    float nf_peak;
    uint32_t cor_len, cor_pos;      /* correlation window */
    double cor[3][4];               /* lr, ll, rr per lane */
    size_t cap_clip, cap_click, cap_phase;
    double lane_sum[LATHE_QC_MAX_CH][4], lane_sum2[LATHE_QC_MAX_CH][4];
};

int lathe_qc_new(uint32_t rate, uint32_t channels, lathe_qc **out)
{
    if (rate < 8000 || channels < 1 || channels > LATHE_QC_MAX_CH)
        return -2;
    lathe_qc *q = calloc(1, sizeof(*q));
    if (!q)
        return -1;
    q->s.rate = rate;
    q->s.channels = channels;
    q->win = 2 * (uint32_t)(rate / 200) + 1;
    q->merge = rate / 500;
    q->ring = calloc((size_t)(q->win + QC_CHUNK) * channels, sizeof(float));
    q->prefix = calloc((size_t)q->win + QC_CHUNK + 1, sizeof(double));
    q->guard = rate / 2000 > 4 ? rate / 2000 : 4; /* 0.5 ms: a band-limited click rings */
    if (!q->ring) {
        free(q);
        return -1;
    }
    q->s.first_loud = q->s.last_loud = -1;
    for (uint32_t c = 0; c < channels; c++)
        q->cs[c].last = -1;
    q->nf_len = rate / 20;
    q->cor_len = rate;
    *out = q;
    return 0;
}

void lathe_qc_free(lathe_qc *q)
{
    if (!q)
        return;
    free(q->ring);
    free(q->s.clip_runs);
    free(q->s.clicks);
    free(q->prefix);
    free(q->s.anti_phase);
    free(q);
}

/* Appends an event, growing the list up to LATHE_QC_MAX_EVENTS; returns it or NULL. */
static lathe_qc_event *push_event(lathe_qc_event **v, size_t *n, size_t *cap)
{
    if (*n >= LATHE_QC_MAX_EVENTS)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        lathe_qc_event *p = realloc(*v, nc * sizeof(**v));
        if (!p)
            return NULL;
        *v = p;
        *cap = nc;
    }
    return &(*v)[(*n)++];
}

/* Largest |x[i]| ignoring NaNs, as `a > m ? a : m` from 0 gives it: magnitudes compare as their
 * bit patterns (NaNs, above +inf, count as 0), an integer maximum that vectorises. */
static float block_absmax(const float *x, uint32_t n)
{
    int32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, x + i, sizeof u);
        u &= 0x7fffffff;
        u = u > 0x7f800000 ? 0 : u;
        m = u > m ? u : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

/* Sum, sum of squares, peak, non-finite count. Four partial sums for speed, each owning the
 * frames with one value of (frame mod 4), so the result does not depend on block boundaries. */
static void channel_stats(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
{
    double s[4], s2[4];
    float pk = 0.0f;
    uint32_t i = 0;
    memcpy(s, q->lane_sum[c], sizeof(s));
    memcpy(s2, q->lane_sum2[c], sizeof(s2));
    for (; i < n && ((f0 + i) & 3) != 0; i++) {
        s[(f0 + i) & 3] += (double)x[i];
        s2[(f0 + i) & 3] += (double)x[i] * (double)x[i];
    }
    for (; i + 4 <= n; i += 4) {
        for (uint32_t k = 0; k < 4; k++) {
            double v = (double)x[i + k];
            s[k] += v;
            s2[k] += v * v;
        }
    }
    for (; i < n; i++) {
        s[(f0 + i) & 3] += (double)x[i];
        s2[(f0 + i) & 3] += (double)x[i] * (double)x[i];
    }
    pk = block_absmax(x, n);
    if (!isfinite(s2[0] + s2[1] + s2[2] + s2[3])) {
        for (i = 0; i < n; i++)
            q->s.nonfinite[c] += !isfinite(x[i]);
        return; /* keep the sums finite: skip a block holding NaN/Inf */
    }
    memcpy(q->lane_sum[c], s, sizeof(s));
    memcpy(q->lane_sum2[c], s2, sizeof(s2));
    q->s.sum[c] = (q->lane_sum[c][0] + q->lane_sum[c][1]) + (q->lane_sum[c][2] + q->lane_sum[c][3]);
    q->s.sum2[c] =
        (q->lane_sum2[c][0] + q->lane_sum2[c][1]) + (q->lane_sum2[c][2] + q->lane_sum2[c][3]);
    if ((double)pk > q->s.peak[c])
        q->s.peak[c] = (double)pk;
}

static void end_run(lathe_qc *q, uint32_t c, uint64_t end_frame)
{
    if (q->run[c] >= LATHE_QC_CLIP_RUN) {
        lathe_qc_event *e = push_event(&q->s.clip_runs, &q->s.n_clip_runs, &q->cap_clip);
        if (e)
            *e = (lathe_qc_event){end_frame - q->run[c], c, q->run[c], (double)q->run_level[c]};
    }
    q->run[c] = 0;
}

static void clip_runs(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
{
    float pk = block_absmax(x, n);
    if (pk < LATHE_QC_FULL_SCALE && q->run[c] == 0)
        return; /* the usual case: nothing near full scale */
    for (uint32_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a >= LATHE_QC_FULL_SCALE) {
            q->s.full_scale[c]++;
            q->run_level[c] = q->run[c] == 0 || a > q->run_level[c] ? a : q->run_level[c];
            q->run[c]++;
        } else if (q->run[c]) {
            end_run(q, c, f0 + i);
        }
    }
}

static void click_found(lathe_qc *q, uint32_t c, int64_t frame, double mag)
{
    click_state *k = &q->cs[c];
    if (k->last >= 0 && frame - k->last <= (int64_t)q->merge && q->s.n_clicks > 0) {
        /* same impulse (or burst): keep the strongest point */
        for (size_t i = q->s.n_clicks; i-- > 0;) {
            lathe_qc_event *e = &q->s.clicks[i];
            if (e->channel != c)
                continue;
            if (mag > e->value) {
                e->frame = (uint64_t)frame;
                e->value = mag;
            }
            break;
        }
        k->last = frame;
        return;
    }
    lathe_qc_event *e = push_event(&q->s.clicks, &q->s.n_clicks, &q->cap_click);
    if (e)
        *e = (lathe_qc_event){(uint64_t)frame, c, 1, mag};
    k->last = frame;
}

/* Third difference |d| appended after the last `win` values. A click is isolated: its |d|
 * stands above both of its neighbourhoods, the ~5 ms before and the ~5 ms after (each leaving
 * out `guard` frames around the spike). A drum onset is quiet before but loud after, so it is
 * not taken for one; a centred mean would let a sharp onset through. */
static void clicks(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
{
    click_state *k = &q->cs[c];
    float *ab = q->ring + (size_t)c * (q->win + QC_CHUNK);
    const uint32_t w = q->win, h = w / 2, g = q->guard, side = h - g;
    const double ks = LATHE_QC_CLICK_K / (double)side;
    double *P = q->prefix;
    for (uint32_t off = 0; off < n; off += QC_CHUNK) {
        uint32_t m = n - off < QC_CHUNK ? n - off : QC_CHUNK;
        float *xe = q->xe, *a = ab + w;
        xe[0] = k->x3;
        xe[1] = k->x2;
        xe[2] = k->x1;
        memcpy(xe + 3, x + off, m * sizeof(float));
        for (uint32_t i = 0; i < m; i++)
            a[i] = fabsf(xe[i + 3] - 3.0f * xe[i + 2] + 3.0f * xe[i + 1] - xe[i]);
        P[0] = 0;
        for (uint32_t j = 0; j < w + m; j++)
            P[j + 1] = P[j] + (double)ab[j];
        for (uint32_t i = 0; i < m; i++) {
            uint32_t cj = i + h + 1; /* the spike tested: window ab[i+1 .. i+w] */
            float ac = ab[cj];
            if (ac <= (float)LATHE_QC_SILENCE)
                continue;
            double before = P[cj - g] - P[i + 1], after = P[i + w + 1] - P[cj + g + 1];
            if ((double)ac > ks * (before > after ? before : after)) {
                int64_t centre = (int64_t)(f0 + off + i) - (int64_t)h;
                if (centre >= (int64_t)h)
                    click_found(q, c, centre - 1, (double)ac); /* d[n] centres on n - 1.5 */
            }
        }
        k->x3 = xe[m];
        k->x2 = xe[m + 1];
        k->x1 = xe[m + 2];
        memmove(ab, ab + m, w * sizeof(float));
    }
}

/* First/last frame above LATHE_QC_SILENCE: scans stop at the first hit from each side. */
static void silence_bounds(lathe_qc *q, const float *const *ch, uint32_t n, uint64_t f0)
{
    for (uint32_t c = 0; c < q->s.channels; c++) {
        const float *x = ch[c];
        if (q->s.first_loud < 0 || (uint64_t)q->s.first_loud >= f0) {
            for (uint32_t i = 0; i < n; i++) {
                if ((double)fabsf(x[i]) > LATHE_QC_SILENCE) {
                    if (q->s.first_loud < 0 || (int64_t)(f0 + i) < q->s.first_loud)
                        q->s.first_loud = (int64_t)(f0 + i);
                    break;
                }
            }
        }
        for (uint32_t i = n; i-- > 0;) {
            if ((int64_t)(f0 + i) <= q->s.last_loud)
                break;
            if ((double)fabsf(x[i]) > LATHE_QC_SILENCE) {
                q->s.last_loud = (int64_t)(f0 + i);
                break;
            }
        }
    }
}

static void correlation_window_end(lathe_qc *q, uint64_t end)
{
    double lr = 0.0, ll = 0.0, rr = 0.0;
    for (int k = 0; k < 4; k++) {
        lr += q->cor[0][k];
        ll += q->cor[1][k];
        rr += q->cor[2][k];
    }
    double den = sqrt(ll * rr), corr = den > 0.0 ? lr / den : 0.0;
    if ((ll + rr) / (2.0 * q->cor_pos) > 1e-5 && corr < -0.5) {
        lathe_qc_event *e = push_event(&q->s.anti_phase, &q->s.n_anti_phase, &q->cap_phase);
        if (e)
            *e = (lathe_qc_event){end - q->cor_pos, UINT32_MAX, q->cor_pos, corr};
    }
    q->s.sum_lr += lr;
    memset(q->cor, 0, sizeof(q->cor));
    q->cor_pos = 0;
}

static inline void cor_add(double c[3][4], uint32_t lane, float l, float r)
{
    double a = (double)l, b = (double)r;
    c[0][lane] += a * b;
    c[1][lane] += a * a;
    c[2][lane] += b * b;
}

/* Products of the first two channels into four lanes keyed by frame mod 4 (block-size
 * independent, and the loop vectorises without reassociation). */
static void correlation(lathe_qc *q, const float *l, const float *r, uint32_t n, uint64_t f0)
{
    for (uint32_t off = 0; off < n;) {
        uint32_t k = q->cor_len - q->cor_pos < n - off ? q->cor_len - q->cor_pos : n - off;
        double c[3][4];
        memcpy(c, q->cor, sizeof c);
        uint32_t i = off, end = off + k;
        for (; i < end && ((f0 + i) & 3) != 0; i++)
            cor_add(c, (uint32_t)((f0 + i) & 3), l[i], r[i]);
        for (; i + 4 <= end; i += 4)
            for (uint32_t j = 0; j < 4; j++)
                cor_add(c, j, l[i + j], r[i + j]);
        for (; i < end; i++)
            cor_add(c, (uint32_t)((f0 + i) & 3), l[i], r[i]);
        memcpy(q->cor, c, sizeof c);
        q->cor_pos += k;
        off += k;
        if (q->cor_pos == q->cor_len)
            correlation_window_end(q, f0 + off);
    }
}

/* Cross-channel windows: silence bounds, 50 ms noise-floor peaks, 1 s correlation. */
static void frames_scan(lathe_qc *q, const float *const *ch, uint32_t n, uint64_t f0)
{
    silence_bounds(q, ch, n, f0);
    for (uint32_t off = 0; off < n;) {
        uint32_t k = q->nf_len - q->nf_pos < n - off ? q->nf_len - q->nf_pos : n - off;
        for (uint32_t c = 0; c < q->s.channels; c++) {
            float m = block_absmax(ch[c] + off, k);
            q->nf_peak = m > q->nf_peak ? m : q->nf_peak;
        }
        q->nf_pos += k;
        off += k;
        if (q->nf_pos == q->nf_len) {
            if (q->nf_peak > 0.0f &&
                (q->s.noise_floor == 0.0 || (double)q->nf_peak < q->s.noise_floor))
                q->s.noise_floor = (double)q->nf_peak;
            q->nf_pos = 0;
            q->nf_peak = 0.0f;
        }
    }
    if (q->s.channels >= 2)
        correlation(q, ch[0], ch[1], n, f0);
}

void lathe_qc_add(lathe_qc *q, const float *const *ch, uint32_t n)
{
    uint64_t f0 = q->s.frames;
    for (uint32_t c = 0; c < q->s.channels; c++) {
        channel_stats(q, c, ch[c], n, f0);
        clip_runs(q, c, ch[c], n, f0);
        clicks(q, c, ch[c], n, f0);
    }
    frames_scan(q, ch, n, f0);
    q->s.frames += n;
}

static int by_channel_frame(const void *a, const void *b)
{
    const lathe_qc_event *x = a, *y = b;
    if (x->channel != y->channel)
        return x->channel < y->channel ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static int by_frame(const void *a, const void *b)
{
    const lathe_qc_event *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->channel < y->channel ? -1 : x->channel > y->channel;
}

/* A click is rare and stands out. Spikes that recur within LATHE_QC_CLICK_ISOLATION_S of each
 * other on one channel at similar strength are the signal's own edges (a synthesizer's saw or
 * square, clipped peaks), not damage: a spike is reported when it is alone, or when it is
 * LATHE_QC_CLICK_STANDOUT times stronger than every spike near it. */
static void keep_isolated_clicks(lathe_qc *q)
{
    lathe_qc_event *e = q->s.clicks;
    size_t n = q->s.n_clicks, kept = 0, lo = 0, hi = 0;
    uint64_t near = (uint64_t)(LATHE_QC_CLICK_ISOLATION_S * q->s.rate);
    if (n == 0)
        return; /* no list at all (qsort must not see NULL) */
    uint8_t *keep = calloc(n, 1);
    if (!keep)
        return;
    qsort(e, n, sizeof *e, by_channel_frame);
    for (size_t i = 0; i < n; i++) {
        while (e[lo].channel != e[i].channel || e[i].frame - e[lo].frame > near)
            lo++;
        if (hi < i)
            hi = i;
        while (hi + 1 < n && e[hi + 1].channel == e[i].channel && e[hi + 1].frame - e[i].frame <= near)
            hi++;
        double strongest = 0;
        for (size_t k = lo; k <= hi; k++)
            if (k != i && e[k].value > strongest)
                strongest = e[k].value;
        keep[i] = e[i].value > LATHE_QC_CLICK_STANDOUT * strongest;
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            e[kept++] = e[i];
    free(keep);
    q->s.n_clicks = kept;
    qsort(e, kept, sizeof *e, by_frame);
}

const lathe_qc_summary *lathe_qc_finish(lathe_qc *q)
{
    if (!q->finished) {
        q->finished = 1;
        keep_isolated_clicks(q);
    }
    for (uint32_t c = 0; c < q->s.channels; c++)
        if (q->run[c])
            end_run(q, c, q->s.frames);
    /* the partial correlation window still counts towards the overall sum */
    if (q->cor_pos)
        correlation_window_end(q, q->s.frames);
    return &q->s;
}
