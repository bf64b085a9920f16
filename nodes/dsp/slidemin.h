/* slidemin.h - the minimum of the last `win` values, O(1) per value and branch-free (van Herk /
 * Gil-Werman): the window spans the block of `win` values being filled (pre: their running
 * minimum) and the tail of the block before (suf[j]: the smallest of its values j .. win - 1,
 * suf[win] = +inf), computed once when that block completed. A monotonic deque did the same in
 * amortised O(1), but its pops depend on the data and mispredicted: half the cost of the
 * top-band bound, most of a limiter's gain computer. Exact, like any minimum: the same values.
 * The limiter's gain computers hold each requirement over their windows with it; the top-band
 * bound takes the largest envelope as the smallest of their negatives. */
#ifndef LATHE_DSP_SLIDEMIN_H
#define LATHE_DSP_SLIDEMIN_H

#include "kernel.h"

#include <math.h>
#include <stdint.h>

typedef struct lathe_slidemin {
    uint32_t win, k; /* win 0: not in use */
    double pre, last; /* last: the minimum the last push returned (+inf: none since reset) */
    double *cur, *suf; /* win and win + 1 values */
} lathe_slidemin;

/* The state with no values yet. */
static inline void lathe_slidemin_reset(lathe_slidemin *s)
{
    s->k = 0;
    s->pre = s->last = (double)INFINITY;
    for (uint32_t j = 0; j <= s->win; j++)
        s->suf[j] = (double)INFINITY;
}

static inline int lathe_slidemin_init(lathe_slidemin *s, uint32_t win, const lathe_dsp_alloc *a)
{
    *s = (lathe_slidemin){.win = win, .pre = (double)INFINITY, .last = (double)INFINITY};
    s->cur = lathe_dsp_calloc(a, win, sizeof *s->cur);
    s->suf = lathe_dsp_calloc(a, (size_t)win + 1, sizeof *s->suf);
    if (!s->cur || !s->suf)
        return -1;
    lathe_slidemin_reset(s);
    return 0;
}

static inline void lathe_slidemin_fini(lathe_slidemin *s, const lathe_dsp_alloc *a)
{
    lathe_dsp_free(a, s->cur);
    lathe_dsp_free(a, s->suf);
}

/* Pushes the next value and returns the minimum of the last win (fewer since a reset). */
static inline double lathe_slidemin_push(lathe_slidemin *s, double v)
{
    const uint32_t k = s->k;
    s->cur[k] = v;
    s->pre = k == 0 || v < s->pre ? v : s->pre;
    s->last = s->suf[k + 1] < s->pre ? s->suf[k + 1] : s->pre;
    if (k + 1 == s->win) {
        double m = (double)INFINITY;
        for (uint32_t j = s->win; j-- > 0;) {
            m = s->cur[j] < m ? s->cur[j] : m;
            s->suf[j] = m;
        }
        s->k = 0;
    } else {
        s->k = k + 1;
    }
    return s->last;
}

/* Whether the window holds nothing but 1.0 (or nothing at all). Values at most 1 (gains): then
 * an idle computer need not push its stretches of 1.0 at all, since the window keeps no time,
 * and the minimum of any later window is the same with them or without. */
static inline int lathe_slidemin_at_unity(const lathe_slidemin *s)
{
    return s->last == (double)INFINITY || s->last == 1.0;
}

#endif
