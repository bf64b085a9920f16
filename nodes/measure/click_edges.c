/* click_edges.c - which spikes the click detector found are a waveform's own edges (qc.h). */
#include "qc.h"
#include "lathe/lathe_node.h"

#include <stdlib.h>

static int by_frame(const void *a, const void *b)
{
    const lathe_qc_event *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return x->channel < y->channel ? -1 : x->channel > y->channel;
}

static int by_channel_frame(const void *a, const void *b)
{
    const lathe_qc_event *x = a, *y = b;
    if (x->channel != y->channel)
        return x->channel < y->channel ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Index of the first event at or after frame `at` among e[lo .. hi) (one channel, by frame). */
static size_t first_at(const lathe_qc_event *e, size_t lo, size_t hi, uint64_t at)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].frame < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether e[lo .. hi) holds a spike within tol of frame `at` of similar strength to v (not
 * LATHE_QC_CLICK_STANDOUT times weaker than it). */
static int spike_near(const lathe_qc_event *e, size_t lo, size_t hi, int64_t at, int64_t tol,
                      double v)
{
    if (at < tol)
        return 0;
    for (size_t k = first_at(e, lo, hi, (uint64_t)(at - tol)); k < hi; k++) {
        if ((int64_t)e[k].frame > at + tol)
            break;
        if (LATHE_QC_CLICK_STANDOUT * e[k].value >= v)
            return 1;
    }
    return 0;
}

/* A click is damage; an oscillator's edge is music. A saw or square wave puts a spike of about
 * the same size at every period: three spikes evenly spaced (within 3 frames and 0.5%), at most
 * LATHE_QC_CLICK_PERIOD_S apart (a 20 Hz fundamental), are a waveform, and each is dropped
 * unless it is LATHE_QC_CLICK_STANDOUT times stronger than its neighbours in the series. The
 * closeness rule alone (LATHE_QC_CLICK_CROWD_S) let a low bass saw through: a C1 saw's edges
 * come every 30.6 ms, reported as 100 "clicks" a minute on one real mix. */
static int in_regular_series(const lathe_qc_event *e, size_t lo, size_t hi, size_t i,
                             uint64_t longest)
{
    double v = e[i].value / LATHE_QC_CLICK_STANDOUT; /* neighbours must reach this, */
    for (size_t j = lo; j < hi; j++) {               /* i.e. i is not 4x stronger */
        if (j == i || LATHE_QC_CLICK_STANDOUT * e[j].value < e[i].value)
            continue;
        int64_t p = (int64_t)e[i].frame - (int64_t)e[j].frame; /* signed period */
        int64_t ap = p < 0 ? -p : p;
        if (ap == 0 || (uint64_t)ap > longest)
            continue;
        int64_t tol = 3 + ap / 200;
        /* i in the middle (j, i, i + p), or at an end (j - p, j, i) */
        if (spike_near(e, lo, hi, (int64_t)e[i].frame + p, tol, v * LATHE_QC_CLICK_STANDOUT)
            || spike_near(e, lo, hi, (int64_t)e[j].frame - p, tol, v * LATHE_QC_CLICK_STANDOUT))
            return 1;
    }
    return 0;
}

/* Whether another spike of similar strength lies within `near` frames of spike i. */
static int crowded(const lathe_qc_event *e, size_t lo, size_t hi, size_t i, uint64_t near)
{
    for (size_t k = lo; k < hi; k++) {
        uint64_t d = e[k].frame > e[i].frame ? e[k].frame - e[i].frame : e[i].frame - e[k].frame;
        if (k != i && d <= near && LATHE_QC_CLICK_STANDOUT * e[k].value >= e[i].value)
            return 1;
    }
    return 0;
}

size_t lathe_click_drop_edges(lathe_qc_event *e, size_t n, uint32_t rate, int *oom)
{
    size_t kept = 0;
    uint64_t longest = (uint64_t)(LATHE_QC_CLICK_PERIOD_S * rate);
    uint64_t near = (uint64_t)(LATHE_QC_CLICK_CROWD_S * rate);
    if (n == 0)
        return 0; /* no list at all (qsort must not see NULL) */
    uint8_t *keep = lathe_calloc(n, 1);
    if (!keep) {
        *oom = 1;
        return n;
    }
    qsort(e, n, sizeof *e, by_channel_frame);
    for (size_t c0 = 0; c0 < n;) {
        size_t c1 = c0;
        while (c1 < n && e[c1].channel == e[c0].channel)
            c1++;
        for (size_t i = c0; i < c1; i++) {
            /* the spikes up to two periods either side */
            uint64_t from = e[i].frame > 2 * longest ? e[i].frame - 2 * longest : 0;
            size_t lo = first_at(e, c0, i, from), hi = first_at(e, i, c1, e[i].frame + 2 * longest + 1);
            keep[i] = !in_regular_series(e, lo, hi, i, longest) && !crowded(e, lo, hi, i, near);
        }
        c0 = c1;
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            e[kept++] = e[i];
    lathe_dealloc(keep);
    qsort(e, kept, sizeof *e, by_frame);
    return kept;
}
