/* sampledelay.c - exact integer-sample delay (see sampledelay.h). */
#include "sampledelay.h"

#include <string.h>

void lathe_sampledelay_init(lathe_sampledelay *d, float *ring, uint32_t delay)
{
    d->ring = ring;
    d->delay = delay;
    lathe_sampledelay_reset(d);
}

void lathe_sampledelay_reset(lathe_sampledelay *d)
{
    if (d->delay)
        memset(d->ring, 0, d->delay * sizeof(float));
    d->pos = 0;
}

void lathe_sampledelay_process(lathe_sampledelay *d, const float *x, float *y, uint32_t n)
{
    if (d->delay == 0) {
        if (y != x)
            memmove(y, x, n * sizeof(float));
        return;
    }
    /* The ring holds the `delay` pending samples, oldest at pos: each output takes the oldest
     * and the input replaces it. Runs of contiguous ring slots keep the loop vectorisable. */
    uint32_t done = 0;
    while (done < n) {
        uint32_t k = d->delay - d->pos;
        if (k > n - done)
            k = n - done;
        float *r = d->ring + d->pos;
        for (uint32_t i = 0; i < k; i++) {
            float t = r[i];
            r[i] = x[done + i];
            y[done + i] = t;
        }
        done += k;
        d->pos += k;
        if (d->pos == d->delay)
            d->pos = 0;
    }
}
