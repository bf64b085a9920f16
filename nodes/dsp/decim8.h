/* decim8.h - frames taken down to an eighth of the rate for envelope detectors (topband.c,
 * lfpeak.c): each group of 8 frames gives one value per channel, a 15-frame triangle (two
 * 8-frame boxcars in a row, weights 1 .. 8 .. 1, sum 64) ending at the group's last frame. What
 * folds into 0 .. 0.01 of the rate is content near multiples of an eighth of it, 42 dB down or
 * more; 0 .. 0.01 of the rate itself loses at most 0.2 dB. Optionally each frame n is first
 * multiplied by (-1)^n, which shifts the top of the band to DC. Two multiply-adds a frame, in
 * float. */
#ifndef LATHE_DSP_DECIM8_H
#define LATHE_DSP_DECIM8_H

#include <stdint.h>

#define LATHE_DECIM8 8
#define LATHE_DECIM8_MAX_CH 8

typedef struct lathe_decim8 {
    uint32_t channels;
    int alternate;                        /* times (-1)^n first */
    uint64_t t;                           /* frames fed */
    float part[LATHE_DECIM8_MAX_CH][LATHE_DECIM8]; /* a group cut by the block's end */
    float prev_b[LATHE_DECIM8_MAX_CH];    /* the last group's weighted sum */
} lathe_decim8;

static inline void lathe_decim8_init(lathe_decim8 *d, uint32_t channels, int alternate)
{
    *d = (lathe_decim8){ .channels = channels, .alternate = alternate };
}

/* The dot product of 8 weights and frames as a fixed tree of sums: the same value from any
 * block boundaries, and no chain of dependent additions. */
static inline float lathe_decim8_dot(const float *w, const float *x)
{
    return ((w[0] * x[0] + w[1] * x[1]) + (w[2] * x[2] + w[3] * x[3])) +
           ((w[4] * x[4] + w[5] * x[5]) + (w[6] * x[6] + w[7] * x[7]));
}

/* The two weightings of a group's frames (times (-1)^n when alternate): a sums them, b weighs
 * them 0 .. 7. */
static inline void lathe_decim8_weights(int alternate, const float **wa, const float **wb)
{
    static const float plain_a[8] = {1, 1, 1, 1, 1, 1, 1, 1}, plain_b[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const float alt_a[8] = {1, -1, 1, -1, 1, -1, 1, -1};
    static const float alt_b[8] = {0, -1, 2, -3, 4, -5, 6, -7};
    *wa = alternate ? alt_a : plain_a;
    *wb = alternate ? alt_b : plain_b;
}

/* A group's value from its sums a, b and the last group's b: the triangle ending at the group's
 * last frame weighs this group's frames 8 .. 1 and the last group's 0 .. 7: 8 a - b and the
 * last b, 64 in all. */
static inline double lathe_decim8_value(float a, float b, float prev_b)
{
    return (LATHE_DECIM8 * (double)a - (double)b + (double)prev_b) / 64.0;
}

/* [rt] The sums a[g], b[g] of n_groups whole groups from x on (lathe_decim8_feed's, in bulk). */
static inline void lathe_decim8_sums(int alternate, const float *x, uint32_t n_groups, float *a,
                                     float *b)
{
    const float *wa, *wb;
    lathe_decim8_weights(alternate, &wa, &wb);
    for (uint32_t g = 0; g < n_groups; g++) {
        a[g] = lathe_decim8_dot(wa, x + LATHE_DECIM8 * g);
        b[g] = lathe_decim8_dot(wb, x + LATHE_DECIM8 * g);
    }
}

/* [rt] Feeds frames from ch[c][at], up to the end of the current group and at most n. Returns the
 * frames taken; when they complete the group, also 1 in *done and each channel's value in y. */
static inline uint32_t lathe_decim8_feed(lathe_decim8 *d, const float *const *ch, uint32_t at,
                                         uint32_t n, double *y, int *done)
{
    const float *wa, *wb;
    lathe_decim8_weights(d->alternate, &wa, &wb);
    uint32_t pos = (uint32_t)(d->t % LATHE_DECIM8);
    uint32_t k = LATHE_DECIM8 - pos < n ? LATHE_DECIM8 - pos : n;
    d->t += k;
    *done = pos + k == LATHE_DECIM8;
    for (uint32_t c = 0; c < d->channels; c++) {
        const float *x = ch[c] + at;
        if (pos || !*done) { /* a group cut by a block boundary waits whole in part */
            for (uint32_t j = 0; j < k; j++)
                d->part[c][pos + j] = x[j];
            x = d->part[c];
        }
        if (!*done)
            continue;
        float a = lathe_decim8_dot(wa, x), b = lathe_decim8_dot(wb, x);
        y[c] = lathe_decim8_value(a, b, d->prev_b[c]);
        d->prev_b[c] = b;
    }
    return k;
}

#endif
