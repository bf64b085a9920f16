/* qc.c - sample-level QC detectors (see qc.h). */
#include "qc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct click_state {
    float x1, x2, x3;  /* last three samples */
    double sum;        /* sum of |d| over the ring */
    int64_t last;      /* frame of the last click event, -1 none */
} click_state;

struct lathe_qc {
    lathe_qc_summary s;
    uint32_t win;       /* click window (odd) */
    uint32_t merge;     /* frames within which clicks merge */
    float *ring;        /* per channel: win |d| values */
    uint32_t ring_pos;
    click_state cs[LATHE_QC_MAX_CH];
    uint32_t run[LATHE_QC_MAX_CH];  /* current full-scale run length */
    float run_level[LATHE_QC_MAX_CH];
    uint32_t nf_len, nf_pos;        /* noise floor window */
    float nf_peak;
    uint32_t cor_len, cor_pos;      /* correlation window */
    double cor_lr, cor_ll, cor_rr;
    size_t cap_clip, cap_click, cap_phase;
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
    q->ring = calloc((size_t)q->win * channels, sizeof(float));
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

/* Sum, sum of squares, peak, non-finite count: four partial sums for speed, fixed order. */
static void channel_stats(lathe_qc *q, uint32_t c, const float *x, uint32_t n)
{
    double s[4] = {0}, s2[4] = {0};
    float pk = 0.0f;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (uint32_t k = 0; k < 4; k++) {
            double v = (double)x[i + k];
            s[k] += v;
            s2[k] += v * v;
        }
    }
    for (; i < n; i++) {
        s[0] += (double)x[i];
        s2[0] += (double)x[i] * (double)x[i];
    }
    for (i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        pk = a > pk ? a : pk;
    }
    double ss = (s[0] + s[1]) + (s[2] + s[3]), ss2 = (s2[0] + s2[1]) + (s2[2] + s2[3]);
    if (!isfinite(ss2)) {
        for (i = 0; i < n; i++)
            q->s.nonfinite[c] += !isfinite(x[i]);
        return; /* keep the sums finite: skip a block holding NaN/Inf */
    }
    q->s.sum[c] += ss;
    q->s.sum2[c] += ss2;
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
    float pk = 0.0f;
    for (uint32_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        pk = a > pk ? a : pk;
    }
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

/* Third difference into a ring of |d|; the centre of the ring is tested against the ring mean. */
static uint32_t clicks(lathe_qc *q, uint32_t c, const float *x, uint32_t n, uint64_t f0)
{
    click_state *k = &q->cs[c];
    float *ring = q->ring + (size_t)c * q->win;
    uint32_t w = q->win, h = w / 2, pos = q->ring_pos;
    const double kw = LATHE_QC_CLICK_K / (double)w;
    for (uint32_t i = 0; i < n; i++) {
        float d = x[i] - 3.0f * k->x1 + 3.0f * k->x2 - k->x3;
        float a = fabsf(d);
        k->x3 = k->x2;
        k->x2 = k->x1;
        k->x1 = x[i];
        k->sum += (double)a - (double)ring[pos];
        ring[pos] = a;
        pos = pos + 1 == w ? 0 : pos + 1;
        int64_t centre = (int64_t)(f0 + i) - (int64_t)h;
        float ac = ring[pos + h < w ? pos + h : pos + h - w];
        if (centre >= (int64_t)h && ac > (float)LATHE_QC_SILENCE &&
            (double)ac > kw * (k->sum > 0.0 ? k->sum : 0.0))
            click_found(q, c, centre - 1, (double)ac); /* d[n] is centred on n - 1.5 */
    }
    return pos;
}

/* Cross-channel windows: silence bounds, 50 ms noise-floor peaks, 1 s correlation. */
static void frames_scan(lathe_qc *q, const float *const *ch, uint32_t n, uint64_t f0)
{
    uint32_t nc = q->s.channels;
    for (uint32_t i = 0; i < n; i++) {
        float pk = 0.0f;
        for (uint32_t c = 0; c < nc; c++) {
            float a = fabsf(ch[c][i]);
            pk = a > pk ? a : pk;
        }
        if ((double)pk > LATHE_QC_SILENCE) {
            if (q->s.first_loud < 0)
                q->s.first_loud = (int64_t)(f0 + i);
            q->s.last_loud = (int64_t)(f0 + i);
        }
        q->nf_peak = pk > q->nf_peak ? pk : q->nf_peak;
        if (++q->nf_pos == q->nf_len) {
            if (q->nf_peak > 0.0f &&
                (q->s.noise_floor == 0.0 || (double)q->nf_peak < q->s.noise_floor))
                q->s.noise_floor = (double)q->nf_peak;
            q->nf_pos = 0;
            q->nf_peak = 0.0f;
        }
        if (nc < 2)
            continue;
        double l = (double)ch[0][i], r = (double)ch[1][i];
        q->cor_lr += l * r;
        q->cor_ll += l * l;
        q->cor_rr += r * r;
        if (++q->cor_pos == q->cor_len) {
            double den = sqrt(q->cor_ll * q->cor_rr);
            double corr = den > 0.0 ? q->cor_lr / den : 0.0;
            if ((q->cor_ll + q->cor_rr) / (2.0 * q->cor_len) > 1e-5 && corr < -0.5) {
                lathe_qc_event *e = push_event(&q->s.anti_phase, &q->s.n_anti_phase,
                                               &q->cap_phase);
                if (e)
                    *e = (lathe_qc_event){f0 + i + 1 - q->cor_len, UINT32_MAX, q->cor_len, corr};
            }
            q->s.sum_lr += q->cor_lr;
            q->cor_pos = 0;
            q->cor_lr = q->cor_ll = q->cor_rr = 0.0;
        }
    }
}

void lathe_qc_add(lathe_qc *q, const float *const *ch, uint32_t n)
{
    uint64_t f0 = q->s.frames;
    uint32_t pos = q->ring_pos;
    for (uint32_t c = 0; c < q->s.channels; c++) {
        channel_stats(q, c, ch[c], n);
        clip_runs(q, c, ch[c], n, f0);
        pos = clicks(q, c, ch[c], n, f0); /* every channel's ring advances alike */
    }
    q->ring_pos = pos;
    frames_scan(q, ch, n, f0);
    q->s.frames += n;
}

const lathe_qc_summary *lathe_qc_finish(lathe_qc *q)
{
    for (uint32_t c = 0; c < q->s.channels; c++)
        if (q->run[c])
            end_run(q, c, q->s.frames);
    /* the partial correlation window still counts towards the overall sum */
    q->s.sum_lr += q->cor_lr;
    q->cor_lr = q->cor_ll = q->cor_rr = 0.0;
    q->cor_pos = 0;
    return &q->s;
}
