/* sampledelay.h - an exact integer-sample delay of one channel (a ring buffer). Output sample i
 * is input sample i - delay; the first `delay` outputs are the initial zeros. */
#ifndef LATHE_SAMPLEDELAY_H
#define LATHE_SAMPLEDELAY_H

#include <stdint.h>

typedef struct lathe_sampledelay {
    float *ring; /* delay samples, caller-owned */
    uint32_t delay, pos;
} lathe_sampledelay;

/* Uses ring (delay floats, may be NULL when delay is 0) and clears it. */
void lathe_sampledelay_init(lathe_sampledelay *d, float *ring, uint32_t delay);
/* [rt] Clears the history. */
void lathe_sampledelay_reset(lathe_sampledelay *d);
/* [rt] Delays n samples of x into y (x and y may alias). */
void lathe_sampledelay_process(lathe_sampledelay *d, const float *x, float *y, uint32_t n);

#endif
