/* qc.c - sample-level QC detectors (see qc.h). */
#include "qc.h"
#include "lathe/lathe_node.h"

#include "dsp/simd.h"
#include "dsp/topband.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The click detector works on chunks of QC_CHUNK new |d| values after the `win` previous ones;
 * candidates are screened per group of QC_GROUP tested samples (see clicks()). */
#define QC_CHUNK 4096
#define QC_GROUP 8

typedef struct click_state {
    float x1, x2, x3;  /* last three samples */
    int64_t last;      /* frame of the last click event, -1 none */
} click_state;

/* Screening geometry, in blocks of QC_GROUP |d| values starting at ring index `org`: the group
 * of tested samples i in [G q, G q + G) has its spikes in block q + km, and blocks q + kb and
 * q + ka onwards (nb of them) lie inside every member's before and after window. */
typedef struct click_geom {
    uint32_t org, km, kb, ka, nb;
} click_geom;

struct lathe_qc {
    lathe_qc_summary s;
    uint32_t win;       /* click window (odd) */
    uint32_t merge;     /* frames within which clicks merge */
    float *ring;        /* per channel: win past |d| values, then QC_CHUNK new ones */
    float xe[QC_CHUNK + 3];
    float *blk;         /* scratch: block sums, block maxima, window bounds, thresholds */
    uint32_t n_blk;     /* entries in each of the four */
    uint8_t flag[QC_CHUNK / QC_GROUP + 8];
    uint32_t guard;     /* frames each side of a spike left out of its neighbourhood */
    click_geom geo;
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
    lathe_topband *top;             /* NULL above 8 channels */
};

/* Block indices for the screening in clicks(), worked out for group 0 (every group shifts them
 * by its index). The blocks are aligned so that one holds exactly a group's spikes. */
static void click_geometry(lathe_qc *q)
{
    const uint32_t G = QC_GROUP, h = q->win / 2, g = q->guard, side = h - g;
    click_geom *k = &q->geo;
    k->org = (h + 1) % G;
    k->km = (h + 1) / G;
    /* intersection of the members' before windows: ring [G, side]; after: [h+g+G+1, 2h+1] */
    k->kb = (2 * G - 1 - k->org) / G;
    k->ka = (h + g + 2 * G - k->org) / G;
    uint32_t eb = (side + 1 - k->org) / G, ea = (2 * h + 2 - k->org) / G;
    k->nb = eb - k->kb < ea - k->ka ? eb - k->kb : ea - k->ka;
    if (eb < k->kb || ea < k->ka)
        k->nb = 0; /* no bound: every group is screened in */
    /* click_screen() reads blocks up to (groups - 1) + max(ka + nb - 1, km) */
    q->n_blk = QC_CHUNK / G + (k->ka + k->nb > k->km + 1 ? k->ka + k->nb : k->km + 1);
}

int lathe_qc_new(uint32_t rate, uint32_t channels, lathe_qc **out)
{
    if (rate < 8000 || channels < 1 || channels > LATHE_QC_MAX_CH)
        return -2;
    lathe_qc *q = lathe_calloc(1, sizeof(*q));
    if (!q)
        return -1;
    q->s.rate = rate;
    q->s.channels = channels;
    q->win = 2 * (uint32_t)(rate / 200) + 1;
    q->merge = rate / 500;
    q->ring = lathe_calloc((size_t)(q->win + QC_CHUNK) * channels, sizeof(float));
    q->guard = rate / 2000 > 4 ? rate / 2000 : 4; /* 0.5 ms: a band-limited click rings */
    click_geometry(q);
    q->blk = lathe_calloc((size_t)q->n_blk * 4, sizeof(float));
    if (!q->ring || !q->blk) {
        lathe_dealloc(q->ring);
        lathe_dealloc(q->blk);
        lathe_dealloc(q);
        return -1;
    }
    q->s.first_loud = q->s.last_loud = -1;
    for (uint32_t c = 0; c < channels; c++)
        q->cs[c].last = -1;
    q->nf_len = rate / 20;
    q->cor_len = rate;
    if (channels <= 8 && lathe_topband_new(channels, 0, NULL, &q->top) != LATHE_DSP_OK) {
        lathe_qc_free(q);
        return -1;
    }
    *out = q;
    return 0;
}

void lathe_qc_free(lathe_qc *q)
{
    if (!q)
        return;
    lathe_dealloc(q->ring);
    lathe_dealloc(q->s.clip_runs);
    lathe_dealloc(q->s.clicks);
    lathe_dealloc(q->blk);
    lathe_dealloc(q->s.anti_phase);
    lathe_topband_free(q->top);
    lathe_dealloc(q);
}

/* Appends an event, growing the list up to LATHE_QC_MAX_EVENTS; returns it or NULL (past the
 * cap by design; out of memory sets *oom, so the summary is known to be incomplete). */
static lathe_qc_event *push_event(lathe_qc_event **v, size_t *n, size_t *cap, int *oom)
{
    if (*n >= LATHE_QC_MAX_EVENTS)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        lathe_qc_event *p = lathe_realloc(*v, nc * sizeof(**v));
        if (!p) {
            *oom = 1;
            return NULL;
        }
        *v = p;
        *cap = nc;
    }
    return &(*v)[(*n)++];
}

/* lathe_absmax (dsp/simd.h) in this file's AVX2 clone. */
LATHE_HOT_CLONES static float block_absmax(const float *x, uint32_t n)
{
    return lathe_absmax(x, n);
}

/* The whole quads of channel_stats(): x[4 j + k] into lane k. size_t indices (32-bit ones
 * could wrap) let the loop vectorise. */
LATHE_HOT_CLONES static void stats_lanes(double s[4], double s2[4], const float *x, size_t nq)
{
    double a[4], b[4];
    memcpy(a, s, sizeof a);
    memcpy(b, s2, sizeof b);
    for (size_t j = 0; j < nq; j++) {
        for (size_t k = 0; k < 4; k++) {
            double v = (double)x[4 * j + k];
            a[k] += v;
            b[k] += v * v;
        }
    }
    memcpy(s, a, sizeof a);
    memcpy(s2, b, sizeof b);
}

/* Sum, sum of squares, peak, non-finite count. Four partial sums for speed, each owning the
 * frames with one value of (frame mod 4), so the result does not depend on block boundaries.
 * Returns the block's peak. */
static float channel_stats(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
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
    stats_lanes(s, s2, x + i, (n - i) / 4);
    for (i += (n - i) / 4 * 4; i < n; i++) {
        s[(f0 + i) & 3] += (double)x[i];
        s2[(f0 + i) & 3] += (double)x[i] * (double)x[i];
    }
    pk = block_absmax(x, n);
    if (!isfinite(s2[0] + s2[1] + s2[2] + s2[3])) {
        for (i = 0; i < n; i++)
            q->s.nonfinite[c] += !isfinite(x[i]);
        return pk; /* keep the sums finite: skip a block holding NaN/Inf */
    }
    memcpy(q->lane_sum[c], s, sizeof(s));
    memcpy(q->lane_sum2[c], s2, sizeof(s2));
    q->s.sum[c] = (q->lane_sum[c][0] + q->lane_sum[c][1]) + (q->lane_sum[c][2] + q->lane_sum[c][3]);
    q->s.sum2[c] =
        (q->lane_sum2[c][0] + q->lane_sum2[c][1]) + (q->lane_sum2[c][2] + q->lane_sum2[c][3]);
    if ((double)pk > q->s.peak[c])
        q->s.peak[c] = (double)pk;
    return pk;
}

static void end_run(lathe_qc *q, uint32_t c, uint64_t end_frame)
{
    if (q->run[c] >= LATHE_QC_CLIP_RUN) {
        lathe_qc_event *e = push_event(&q->s.clip_runs, &q->s.n_clip_runs, &q->cap_clip, &q->s.oom);
        if (e)
            *e = (lathe_qc_event){end_frame - q->run[c], c, q->run[c], (double)q->run_level[c]};
    }
    q->run[c] = 0;
}

/* pk: block_absmax(x, n), from channel_stats(). */
static void clip_runs(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0, float pk)
{
    if (pk < LATHE_QC_FULL_SCALE && q->run[c] == 0)
        return; /* the usual case: nothing near full scale */
    /* a mix with overs: the sample loop only where a run is open or a sub-block reaches
     * full scale */
    for (uint32_t b0 = 0; b0 < n; b0 += 64) {
        uint32_t e = n - b0 < 64 ? n : b0 + 64;
        if (q->run[c] == 0 && block_absmax(x + b0, e - b0) < LATHE_QC_FULL_SCALE)
            continue;
        for (uint32_t i = b0; i < e; i++) {
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
    lathe_qc_event *e = push_event(&q->s.clicks, &q->s.n_clicks, &q->cap_click, &q->s.oom);
    if (e)
        *e = (lathe_qc_event){(uint64_t)frame, c, 1, mag};
    k->last = frame;
}

/* Sums of the n values at pb and at pa in double, in an order fixed by each window alone (lane
 * k takes the values k mod 8 from its start), so that a decision never depends on how the
 * caller cut its input into blocks. Eight lanes each keep the adds off one dependency chain. */
LATHE_HOT_CLONES static void window_sums(const float *pb, const float *pa, size_t n, double out[2])
{
    double b[8] = {0.0}, a[8] = {0.0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (size_t k = 0; k < 8; k++) {
            b[k] += (double)pb[i + k];
            a[k] += (double)pa[i + k];
        }
    }
    for (; i < n; i++) {
        b[i & 7] += (double)pb[i];
        a[i & 7] += (double)pa[i];
    }
    out[0] = ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
    out[1] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* The decision for tested index i (ring window ab[i+1 .. i+win], spike at the centre). A click
 * is isolated: its |d| stands above both of its neighbourhoods, the ~5 ms before and the ~5 ms
 * after (each leaving out `guard` frames around the spike). A drum onset is quiet before but
 * loud after, so it is not taken for one; a centred mean would let a sharp onset through.
 * `ac > ks * before && ac > ks * after` is `ac > ks * max(before, after)`; it also refuses a
 * window holding a NaN or infinity, and a non-finite spike is no click. The sums are exact up
 * to double rounding, so a spike within rounding of the threshold may go either way compared
 * with another way of summing (the former prefix sums over the ring); for one input, blocking
 * changes nothing, as each sum depends on its window alone. */
static int is_click(const lathe_qc *q, const float *ab, uint32_t i)
{
    const uint32_t h = q->win / 2, g = q->guard, side = h - g;
    const double ks = LATHE_QC_CLICK_K / (double)side;
    float ac = ab[i + h + 1];
    if (!(ac > (float)LATHE_QC_SILENCE) || !(ac <= FLT_MAX))
        return 0;
    double ba[2]; /* before, after */
    window_sums(ab + i + 1, ab + i + h + g + 2, side, ba);
    return (double)ac > ks * ba[0] && (double)ac > ks * ba[1];
}

/* Branch-free screening of one chunk: |d| of the m new samples (third difference, which
 * suppresses the low-frequency bulk of music), then per group of QC_GROUP tested samples a
 * necessary condition for any member to pass is_click(): the group's largest spike above K/side
 * times a lower bound of both windows, the sum of the whole blocks that every member's window
 * holds (~26 of 27 blocks at 48 kHz). The float sums of non-negative terms are within ~40
 * roundings (3e-6) of the exact ones, far inside the 1e-4 margin, so the screen never drops a
 * click and the result is exactly is_click() on every sample; a bound that overflows or is NaN
 * lets the group through. On real mixes nearly every sample passed on to is_click() is a click,
 * so the cost per sample is a handful of vector operations. */
LATHE_HOT_CLONES static void click_screen(lathe_qc *q, float *ab, uint32_t m)
{
    /* size_t indices: 32-bit ones could wrap, which keeps the loops from vectorising */
    const size_t w = q->win, G = QC_GROUP, ng = (m + G - 1) / G;
    const click_geom k = q->geo;
    /* blocks read: up to (ng - 1) + ka + nb - 1 and (ng - 1) + km, all ending within the
     * w + m valid values of the ring */
    const size_t nblk = ng + (k.ka + k.nb - 1 > k.km ? k.ka + k.nb - 1 : k.km);
    const size_t nbox = ng + k.ka, kb = k.kb, ka = k.ka, km = k.km;
    float *restrict bs = q->blk, *restrict bm = bs + q->n_blk;
    float *restrict box = bm + q->n_blk, *restrict thr = box + q->n_blk;
    uint8_t *restrict flag = q->flag;
    const float *restrict xe = q->xe;
    float *restrict a = ab + w;
    const float ksf = (float)(LATHE_QC_CLICK_K / (double)(w / 2 - q->guard) * (1.0 - 1e-4));
    const float sil = (float)LATHE_QC_SILENCE;
    for (size_t i = 0; i < m; i++)
        a[i] = fabsf(xe[i + 3] - 3.0f * xe[i + 2] + 3.0f * xe[i + 1] - xe[i]);
    const float *restrict d = ab + k.org;
    for (size_t j = 0; j < nblk; j++) {
        float s = 0.0f, mx = 0.0f;
        for (size_t r = 0; r < G; r++) {
            float v = d[G * j + r];
            s += v;
            mx = v > mx ? v : mx;
        }
        bs[j] = s;
        bm[j] = mx;
    }
    for (size_t j = 0; j < nbox; j++)
        box[j] = k.nb ? bs[j] : 0.0f;
    for (size_t r = 1; r < k.nb; r++)
        for (size_t j = 0; j < nbox; j++)
            box[j] += bs[j + r];
    for (size_t j = 0; j < ng; j++) {
        float lb = box[j + kb] > box[j + ka] ? box[j + kb] : box[j + ka];
        float t = ksf * lb;
        t = t <= FLT_MAX ? (t > sil ? t : sil) : sil;
        thr[j] = t;
        flag[j] = bm[j + km] > t;
    }
}

/* Clicks in x: |d| is appended after the last `win` values; the screen picks the groups worth
 * the exact test, which then runs in frame order (click_found merges). */
static void clicks(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
{
    click_state *k = &q->cs[c];
    float *ab = q->ring + (size_t)c * (q->win + QC_CHUNK);
    const float *thr = q->blk + 3 * (size_t)q->n_blk;
    const uint32_t w = q->win, h = w / 2, G = QC_GROUP;
    for (uint32_t off = 0; off < n; off += QC_CHUNK) {
        uint32_t m = n - off < QC_CHUNK ? n - off : QC_CHUNK, ng = (m + G - 1) / G;
        float *xe = q->xe;
        xe[0] = k->x3;
        xe[1] = k->x2;
        xe[2] = k->x1;
        memcpy(xe + 3, x + off, m * sizeof(float));
        click_screen(q, ab, m);
        memset(q->flag + ng, 0, 8);
        for (uint32_t j8 = 0; j8 < ng; j8 += 8) {
            uint64_t any;
            memcpy(&any, q->flag + j8, sizeof any);
            for (uint32_t j = j8; any && j < j8 + 8 && j < ng; j++) {
                uint32_t end = (j + 1) * G < m ? (j + 1) * G : m;
                for (uint32_t i = j * G; q->flag[j] && i < end; i++) {
                    if (!(ab[i + h + 1] > thr[j]) || !is_click(q, ab, i))
                        continue;
                    int64_t centre = (int64_t)(f0 + off + i) - (int64_t)h;
                    if (centre >= (int64_t)h) /* d[n] centres on n - 1.5 */
                        click_found(q, c, centre - 1, (double)ab[i + h + 1]);
                }
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
        lathe_qc_event *e =
            push_event(&q->s.anti_phase, &q->s.n_anti_phase, &q->cap_phase, &q->s.oom);
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

/* The whole quads of correlation(): frame 4 j + k into lane k (size_t indices, as
 * stats_lanes()). */
LATHE_HOT_CLONES static void cor_lanes(double c[3][4], const float *l, const float *r, size_t nq)
{
    double lr[4], ll[4], rr[4];
    memcpy(lr, c[0], sizeof lr);
    memcpy(ll, c[1], sizeof ll);
    memcpy(rr, c[2], sizeof rr);
    for (size_t j = 0; j < nq; j++) {
        for (size_t k = 0; k < 4; k++) {
            double a = (double)l[4 * j + k], b = (double)r[4 * j + k];
            lr[k] += a * b;
            ll[k] += a * a;
            rr[k] += b * b;
        }
    }
    memcpy(c[0], lr, sizeof lr);
    memcpy(c[1], ll, sizeof ll);
    memcpy(c[2], rr, sizeof rr);
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
        cor_lanes(c, l + i, r + i, (end - i) / 4);
        for (i += (end - i) / 4 * 4; i < end; i++)
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
            /* A window whose peak is under the 24-bit step is digital silence in every
             * deliverable (a float file's decaying tail reached 1e-25): no noise floor. */
            if (q->nf_peak >= 0x1p-24f &&
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
        float pk = channel_stats(q, c, ch[c], n, f0);
        clip_runs(q, c, ch[c], n, f0, pk);
        clicks(q, c, ch[c], n, f0);
    }
    frames_scan(q, ch, n, f0);
    if (q->top) {
        lathe_topband_process(q->top, ch, n, NULL);
        q->s.top_band = lathe_topband_peak(q->top);
    }
    q->s.frames += n;
}



const lathe_qc_summary *lathe_qc_finish(lathe_qc *q)
{
    if (!q->finished) {
        q->finished = 1;
        q->s.n_clicks = lathe_click_drop_edges(q->s.clicks, q->s.n_clicks, q->s.rate, &q->s.oom);
    }
    for (uint32_t c = 0; c < q->s.channels; c++)
        if (q->run[c])
            end_run(q, c, q->s.frames);
    /* the partial correlation window still counts towards the overall sum */
    if (q->cor_pos)
        correlation_window_end(q, q->s.frames);
    return &q->s;
}
