/* lfpeak.c - per-frame peaks of the low frequencies (see lfpeak.h). */
#include "lfpeak.h"

#include "biquad.h"
#include "decim8.h"

#include <math.h>
#include <string.h>

#define MAX_CH 8

struct lathe_lfpeak {
    lathe_dsp_alloc al;
    uint32_t channels, rings;
    lathe_biquad lp;     /* at an eighth of the rate */
    double margin;
    double z[MAX_CH][2];
    lathe_decim8 dec;
    float last[MAX_CH];  /* the last complete group's peak per output */
    float *ring[MAX_CH]; /* one per output */
    uint32_t mask, pos, delay;
};

int lathe_lfpeak_new(uint32_t rate, uint32_t channels, int linked, double hz, double margin_db,
                     uint32_t delay, const lathe_dsp_alloc *al, lathe_lfpeak **out)
{
    if (channels < 1 || channels > MAX_CH || !(hz > 0.0) || rate < 1000)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_lfpeak *f = lathe_dsp_calloc(&a, 1, sizeof *f);
    if (!f)
        return LATHE_DSP_NOMEM;
    f->al = a;
    f->channels = channels;
    f->rings = linked ? 1 : channels;
    const double low = (double)rate / LATHE_DECIM8;
    lathe_biquad_lowpass(&f->lp, fmin(hz, 0.45 * low), 0.7071067811865476, 0.0, low);
    f->margin = pow(10.0, margin_db / 20.0);
    /* a group's peak stands for its 8 frames from its last on: as late as the triangle's middle */
    f->delay = delay > LATHE_DECIM8 ? delay - LATHE_DECIM8 : 0;
    uint32_t cap = 1;
    while (cap < delay + LATHE_LFPEAK_MAX_BLOCK)
        cap <<= 1;
    f->mask = cap - 1;
    for (uint32_t k = 0; k < f->rings; k++)
        if (!(f->ring[k] = lathe_dsp_calloc(&a, cap, sizeof(float)))) {
            lathe_lfpeak_free(f);
            return LATHE_DSP_NOMEM;
        }
    *out = f;
    return LATHE_DSP_OK;
}

void lathe_lfpeak_free(lathe_lfpeak *f)
{
    if (!f)
        return;
    lathe_dsp_alloc a = f->al;
    for (uint32_t k = 0; k < f->rings; k++)
        lathe_dsp_free(&a, f->ring[k]);
    lathe_dsp_free(&a, f);
}

void lathe_lfpeak_reset(lathe_lfpeak *f)
{
    memset(f->z, 0, sizeof f->z);
    memset(f->last, 0, sizeof f->last);
    lathe_decim8_init(&f->dec, f->channels, 0);
    for (uint32_t k = 0; k < f->rings; k++)
        memset(f->ring[k], 0, (f->mask + 1) * sizeof(float));
    f->pos = 0;
}

/* [rt] One complete group's values y through the filter: each channel's peak, linked the
 * largest, into last. */
static inline __attribute__((always_inline)) void group_done(const lathe_biquad *lp,
                                                               double margin, uint32_t nc,
                                                               uint32_t rings, double (*z)[2],
                                                               const double *y, float *last)
{
    for (uint32_t c = 0; c < nc; c++) {
        float p = (float)(fabs(lathe_biquad_tick(lp, z[c], y[c])) * margin);
        uint32_t r = rings == 1 ? 0 : c;
        last[r] = c == 0 || rings > 1 || p > last[r] ? p : last[r];
        for (int s = 0; s < 2; s++) /* a decaying state would reach denormals in silence */
            if (fabs(z[c][s]) < 1e-30)
                z[c][s] = 0.0;
    }
}

/* Groups taken at once by bulk() (its scratch lives on the stack). */
#define BULK 64

/* [rt] n_groups whole groups from a group boundary, ch[c][at] on: the same values, in the same
 * order, as lathe_decim8_feed() and group_done() one group at a time, but every group's
 * decimation first and the state in locals, which a channel count known here (C > 0: the
 * common 1 and 2) keeps in registers; the ring's 8 frames of a group (a group never straddles
 * its end: frames fed and ring positions are both multiples of 8 here) take its last peak. */
static inline __attribute__((always_inline)) void bulk(lathe_lfpeak *f, const uint32_t C,
                                                         const float *const *ch, uint32_t at,
                                                         uint32_t n_groups)
{
    const uint32_t nc = C ? C : f->channels, m = f->mask;
    float a[MAX_CH][BULK], b[MAX_CH][BULK];
    for (uint32_t c = 0; c < nc; c++)
        lathe_decim8_sums(f->dec.alternate, ch[c] + at, n_groups, a[c], b[c]);
    const lathe_biquad lp = f->lp;
    double z[MAX_CH][2], y[MAX_CH];
    float prev[MAX_CH], last[MAX_CH];
    memcpy(z, f->z, nc * sizeof z[0]);
    memcpy(prev, f->dec.prev_b, nc * sizeof prev[0]);
    memcpy(last, f->last, f->rings * sizeof last[0]);
    for (uint32_t g = 0; g < n_groups; g++) {
        const uint32_t w = (f->pos + at + LATHE_DECIM8 * g) & m;
        for (uint32_t r = 0; r < f->rings; r++)
            for (uint32_t j = 0; j < LATHE_DECIM8; j++)
                f->ring[r][w + j] = last[r];
        for (uint32_t c = 0; c < nc; c++) {
            y[c] = lathe_decim8_value(a[c][g], b[c][g], prev[c]);
            prev[c] = b[c][g];
        }
        group_done(&lp, f->margin, nc, f->rings, z, y, last);
    }
    memcpy(f->z, z, nc * sizeof z[0]);
    memcpy(f->dec.prev_b, prev, nc * sizeof prev[0]);
    memcpy(f->last, last, f->rings * sizeof last[0]);
    f->dec.t += (uint64_t)LATHE_DECIM8 * n_groups;
}

void lathe_lfpeak_process(lathe_lfpeak *f, const float *const *ch, uint32_t n,
                          float *const *peak)
{
    const uint32_t m = f->mask;
    double y[MAX_CH];
    for (uint32_t i = 0; i < n;) {
        if (f->dec.t % LATHE_DECIM8 == 0 && n - i >= LATHE_DECIM8) {
            uint32_t g = (n - i) / LATHE_DECIM8 < BULK ? (n - i) / LATHE_DECIM8 : BULK;
            if (f->channels == 2)
                bulk(f, 2, ch, i, g);
            else if (f->channels == 1)
                bulk(f, 1, ch, i, g);
            else
                bulk(f, 0, ch, i, g);
            i += LATHE_DECIM8 * g;
            continue;
        }
        int done;
        uint32_t k = lathe_decim8_feed(&f->dec, ch, i, n - i, y, &done);
        for (uint32_t r = 0; r < f->rings; r++)
            for (uint32_t j = 0; j < k; j++)
                f->ring[r][(f->pos + i + j) & m] = f->last[r];
        i += k;
        if (done)
            group_done(&f->lp, f->margin, f->channels, f->rings, f->z, y, f->last);
    }
    /* the ring from pos - delay, as at most two runs */
    const uint32_t rd = (f->pos - f->delay) & m, n1 = m + 1 - rd < n ? m + 1 - rd : n;
    for (uint32_t r = 0; r < f->rings; r++) {
        memcpy(peak[r], f->ring[r] + rd, n1 * sizeof(float));
        memcpy(peak[r] + n1, f->ring[r], (n - n1) * sizeof(float));
    }
    f->pos += n;
}
