/* biquad_cascade.c - multichannel cascade of biquads in transposed direct form II, state in
 * double. Samples advance one at a time through every section with all channels side by side, so
 * the per-channel work of one section is a short vector operation (two doubles for stereo) and
 * consecutive sections overlap in the out-of-order core. */
#include "biquad.h"

#include <assert.h>
#include <string.h>

void lathe_biquad_cascade_init(lathe_biquad_cascade *c, const lathe_biquad *sections,
                               int n_sections, uint32_t channels)
{
    assert(n_sections >= 0 && n_sections <= LATHE_BIQUAD_MAX_SECTIONS);
    assert(channels >= 1 && channels <= LATHE_BIQUAD_MAX_CHANNELS);
    c->n_sections = n_sections;
    c->channels = channels;
    if (n_sections > 0)
        memcpy(c->sec, sections, (size_t)n_sections * sizeof(*sections));
    lathe_biquad_cascade_reset(c);
}

void lathe_biquad_cascade_set(lathe_biquad_cascade *c, const lathe_biquad *sections)
{
    if (c->n_sections > 0)
        memcpy(c->sec, sections, (size_t)c->n_sections * sizeof(*sections));
}

void lathe_biquad_cascade_reset(lathe_biquad_cascade *c)
{
    memset(c->z, 0, sizeof(c->z));
}

/* Stereo: the state of one section is two 2-vectors, the compiler keeps them in SSE registers. */
static void process2(lathe_biquad_cascade *c, const float *const *in, float *const *out,
                     uint32_t n)
{
    const float *x0 = in[0], *x1 = in[1];
    float *y0 = out[0], *y1 = out[1];
    const int ns = c->n_sections;
    for (uint32_t i = 0; i < n; i++) {
        double v[2] = { (double)x0[i], (double)x1[i] };
        for (int s = 0; s < ns; s++) {
            const lathe_biquad *q = &c->sec[s];
            double *z0 = c->z[s][0], *z1 = c->z[s][1];
            double y[2];
            for (int ch = 0; ch < 2; ch++) {
                y[ch] = q->b0 * v[ch] + z0[ch];
                z0[ch] = q->b1 * v[ch] - q->a1 * y[ch] + z1[ch];
                z1[ch] = q->b2 * v[ch] - q->a2 * y[ch];
                v[ch] = y[ch];
            }
        }
        y0[i] = (float)v[0];
        y1[i] = (float)v[1];
    }
}

static void process1(lathe_biquad_cascade *c, const float *x, float *y, uint32_t n)
{
    const int ns = c->n_sections;
    for (uint32_t i = 0; i < n; i++) {
        double v = (double)x[i];
        for (int s = 0; s < ns; s++) {
            const lathe_biquad *q = &c->sec[s];
            double *z = c->z[s][0], *zz = c->z[s][1];
            double t = q->b0 * v + z[0];
            z[0] = q->b1 * v - q->a1 * t + zz[0];
            zz[0] = q->b2 * v - q->a2 * t;
            v = t;
        }
        y[i] = (float)v;
    }
}

static void process_n(lathe_biquad_cascade *c, const float *const *in, float *const *out,
                      uint32_t n)
{
    const int ns = c->n_sections;
    const uint32_t nch = c->channels;
    for (uint32_t i = 0; i < n; i++) {
        double v[LATHE_BIQUAD_MAX_CHANNELS];
        for (uint32_t ch = 0; ch < nch; ch++)
            v[ch] = (double)in[ch][i];
        for (int s = 0; s < ns; s++) {
            const lathe_biquad *q = &c->sec[s];
            double *z0 = c->z[s][0], *z1 = c->z[s][1];
            for (uint32_t ch = 0; ch < nch; ch++) {
                double y = q->b0 * v[ch] + z0[ch];
                z0[ch] = q->b1 * v[ch] - q->a1 * y + z1[ch];
                z1[ch] = q->b2 * v[ch] - q->a2 * y;
                v[ch] = y;
            }
        }
        for (uint32_t ch = 0; ch < nch; ch++)
            out[ch][i] = (float)v[ch];
    }
}

void lathe_biquad_cascade_process(lathe_biquad_cascade *c, const float *const *in,
                                  float *const *out, uint32_t n)
{
    if (c->n_sections == 0) {
        for (uint32_t ch = 0; ch < c->channels; ch++)
            if (out[ch] != in[ch])
                memmove(out[ch], in[ch], (size_t)n * sizeof(float));
        return;
    }
    if (c->channels == 2)
        process2(c, in, out, n);
    else if (c->channels == 1)
        process1(c, in[0], out[0], n);
    else
        process_n(c, in, out, n);
}
