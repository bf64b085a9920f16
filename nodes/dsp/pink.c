/* pink.c - pink noise filter (see pink.h). */
#include "pink.h"

#include <math.h>
#include <string.h>

void lathe_pink_design(lathe_pink *f, double rate)
{
    const double two_pi = 6.283185307179586476925;
    memset(f, 0, sizeof *f);
    for (double fp = 2.0; fp < rate && f->n < LATHE_PINK_MAX_SECTIONS; fp *= 4.0) {
        f->p[f->n] = exp(-two_pi * fp / rate);
        f->z[f->n] = exp(-two_pi * 2.0 * fp / rate);
        f->n++;
    }
    /* Power gain = sum of the squared impulse response; the slowest pole decays by e every
     * rate / (2 pi 2 Hz) samples, so 40 time constants leave nothing measurable. */
    lathe_pink_state st;
    memset(&st, 0, sizeof st);
    f->norm = 1.0;
    uint64_t len = (uint64_t)(40.0 * rate / (two_pi * 2.0)) + 1;
    double sum = 0.0, buf[256];
    for (uint64_t done = 0; done < len; done += 256) {
        memset(buf, 0, sizeof buf);
        if (done == 0)
            buf[0] = 1.0;
        lathe_pink_process(f, &st, buf, 256);
        for (int i = 0; i < 256; i++)
            sum += buf[i] * buf[i];
    }
    f->norm = 1.0 / sqrt(sum);
}

void lathe_pink_process(const lathe_pink *f, lathe_pink_state *st, double *x, uint32_t n)
{
    for (int k = 0; k < f->n; k++) {
        const double p = f->p[k], z = f->z[k];
        double x1 = st->x1[k], y1 = st->y1[k];
        for (uint32_t i = 0; i < n; i++) {
            double y = x[i] - z * x1 + p * y1;
            x1 = x[i];
            y1 = y;
            x[i] = y;
        }
        st->x1[k] = x1;
        st->y1[k] = y1;
    }
    for (uint32_t i = 0; i < n; i++)
        x[i] *= f->norm;
}
