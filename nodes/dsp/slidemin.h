/* slidemin.h - the minimum of the last `win` values, O(1) amortised per value (a monotonic
 * deque: values increase from head to tail, each pushed and popped once). The limiter's gain
 * computers hold each requirement over their windows with it. */
#ifndef LATHE_DSP_SLIDEMIN_H
#define LATHE_DSP_SLIDEMIN_H

#include "kernel.h"

#include <stdint.h>

typedef struct lathe_slidemin {
    uint32_t win, mask, head, n;
    uint64_t *t;
    double *v;
} lathe_slidemin;

static inline int lathe_slidemin_init(lathe_slidemin *s, uint32_t win, const lathe_dsp_alloc *a)
{
    uint32_t cap = 1;
    while (cap < win + 1)
        cap <<= 1;
    s->win = win;
    s->mask = cap - 1;
    s->head = s->n = 0;
    s->t = lathe_dsp_calloc(a, cap, sizeof *s->t);
    s->v = lathe_dsp_calloc(a, cap, sizeof *s->v);
    return s->t && s->v ? 0 : -1;
}

static inline void lathe_slidemin_fini(lathe_slidemin *s, const lathe_dsp_alloc *a)
{
    lathe_dsp_free(a, s->t);
    lathe_dsp_free(a, s->v);
}

/* Pushes value v of time t (one more than the last) and returns the window's minimum. */
static inline double lathe_slidemin_push(lathe_slidemin *s, uint64_t t, double v)
{
    const uint32_t m = s->mask;
    while (s->n && s->v[(s->head + s->n - 1) & m] >= v)
        s->n--;
    s->t[(s->head + s->n) & m] = t;
    s->v[(s->head + s->n) & m] = v;
    s->n++;
    if (s->t[s->head] + s->win <= t) {
        s->head = (s->head + 1) & m;
        s->n--;
    }
    return s->v[s->head];
}

/* The state after values of exactly 1.0 up to time t - 1 (an idle computer). */
static inline void lathe_slidemin_rest(lathe_slidemin *s, uint64_t t)
{
    s->head = 0;
    s->n = 1;
    s->t[0] = t - 1;
    s->v[0] = 1.0;
}

/* Whether the window holds nothing but 1.0 (or nothing at all). */
static inline int lathe_slidemin_at_unity(const lathe_slidemin *s)
{
    return s->n == 0 || s->v[s->head] == 1.0;
}

#endif
