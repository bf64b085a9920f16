/* lossmodel.c - a quick estimate of a limiter's loudness loss (see lossmodel.h). */
#include "lossmodel.h"

#include "limiter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lathe_lossmodel {
    lathe_dsp_alloc al;
    uint32_t rate, channels, block;
    size_t n, filled;   /* blocks in all, blocks complete */
    uint64_t frames, fed;
    uint32_t pos;       /* frames into the current block */
    float *data;        /* per block: peak, energy */
    float peak;
    double *energy;     /* per channel, in the current block (sums in frame order) */
};

int lathe_lossmodel_new(uint32_t rate, uint32_t channels, uint64_t frames,
                        const lathe_dsp_alloc *al, lathe_lossmodel **out)
{
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_lossmodel *m = lathe_dsp_calloc(&a, 1, sizeof *m);
    if (!m)
        return LATHE_DSP_NOMEM;
    m->al = a;
    m->rate = rate;
    m->channels = channels;
    m->block = rate / 100 ? rate / 100 : 1;
    m->frames = frames;
    m->n = (size_t)((frames + m->block - 1) / m->block);
    m->data = lathe_dsp_calloc(&a, m->n ? 2 * m->n : 1, sizeof(float));
    m->energy = lathe_dsp_calloc(&a, channels ? channels : 1, sizeof(double));
    if (!m->data || !m->energy) {
        lathe_lossmodel_free(m);
        return LATHE_DSP_NOMEM;
    }
    *out = m;
    return 0;
}

void lathe_lossmodel_free(lathe_lossmodel *m)
{
    if (!m)
        return;
    lathe_dsp_alloc a = m->al;
    lathe_dsp_free(&a, m->data);
    lathe_dsp_free(&a, m->energy);
    lathe_dsp_free(&a, m);
}

static void end_block(lathe_lossmodel *m)
{
    double e = 0.0;
    for (uint32_t c = 0; c < m->channels; c++) {
        e += m->energy[c];
        m->energy[c] = 0.0;
    }
    if (m->filled < m->n) {
        m->data[2 * m->filled] = m->peak;
        m->data[2 * m->filled + 1] = (float)e;
        m->filled++;
    }
    m->peak = 0.0f;
    m->pos = 0;
}

void lathe_lossmodel_add(lathe_lossmodel *m, const float *const *ch, uint32_t n)
{
    for (uint32_t off = 0; off < n;) {
        uint32_t k = m->block - m->pos < n - off ? m->block - m->pos : n - off;
        float pk = m->peak;
        for (uint32_t c = 0; c < m->channels; c++) {
            const float *x = ch[c] + off;
            double e = m->energy[c];
            for (uint32_t i = 0; i < k; i++) {
                float a = fabsf(x[i]);
                pk = a > pk ? a : pk;
                e += (double)x[i] * (double)x[i];
            }
            m->energy[c] = e;
        }
        m->peak = pk;
        m->pos += k;
        m->fed += k;
        off += k;
        if (m->pos == m->block || m->fed == m->frames)
            end_block(m); /* a full block, or the stream's last, short one */
    }
}

const void *lathe_lossmodel_data(const lathe_lossmodel *m, size_t *size)
{
    *size = 2 * m->n * sizeof(float);
    return m->data;
}

int lathe_lossmodel_load(lathe_lossmodel *m, const void *data, size_t size)
{
    if (size != 2 * m->n * sizeof(float))
        return -1;
    memcpy(m->data, data, size);
    m->filled = m->n;
    return 0;
}

/* The model's limiter over blocks k0 .. k1 - 1 from rest at k0, the energy kept and in summed
 * from block ka on. */
typedef struct model_run {
    double scale, recover, fast, settle, ahead, ceiling;
    int two_stage;
} model_run;

/* fmin and fmax as C99 defines them (a NaN loses to a number), inline: libm's were calls, two
 * or three a block on the loop's chain, evaluated for every gain the search tries. Non-negative
 * values only here, so no signed zero can tell them apart from libm's. */
static inline double min_num(double a, double b)
{
    return a < b || b != b ? a : b;
}

static inline double max_num(double a, double b)
{
    return a > b || b != b ? a : b;
}

static void run_blocks(const lathe_lossmodel *m, const model_run *r, size_t k0, size_t ka,
                       size_t k1, double *kept, double *in)
{
    double env = 1.0, slow = 1.0;
    for (size_t k = k0; k < k1 && k < m->filled; k++) {
        double p = (double)m->data[2 * k] * r->scale, e = (double)m->data[2 * k + 1];
        double pn = k + 1 < m->filled ? (double)m->data[2 * k + 2] * r->scale : 0.0;
        double next = 1.0 - r->ahead * (1.0 - min_num(1.0, r->ceiling / max_num(pn, 1e-30)));
        double need = min_num(next, min_num(1.0, r->ceiling / max_num(p, 1e-30)));
        double g;
        if (r->two_stage) {
            env = min_num(need, 1.0 - (1.0 - env) * r->fast);
            slow = env + (slow - env) * (env < slow ? r->settle : r->recover);
            g = min_num(env, slow);
        } else {
            g = env = min_num(need, 1.0 - (1.0 - env) * r->recover);
        }
        if (k >= ka) {
            *kept += g * g * e;
            *in += e;
        }
    }
}

static int setup(const lathe_lossmodel *m, double gain_db, double ceiling, double lookahead_ms,
                 double release_ms, int two_stage, double tp_db, model_run *r)
{
    double sp = 0.0;
    for (size_t k = 0; k < m->filled; k++)
        sp = fmax(sp, (double)m->data[2 * k]);
    if (sp <= 0.0)
        return -1;
    /* block peaks to true peaks by the file's ratio; the gain applied */
    r->scale = pow(10.0, gain_db / 20.0) * fmax(1.0, pow(10.0, tp_db / 20.0) / sp);
    r->recover = exp(-(double)m->block / (release_ms * 1e-3 * m->rate));
    /* two-stage: the fast envelope returns at release_ms / FAST_DIV, the slow one follows it
     * down over seconds and up at release_ms, the lower applies. The bridge is left out: it
     * holds what the low frequencies ask, which a block's peak does not tell (modelled as
     * bridging every peak, test_loudness's percussive programme at 15 dB of limiting had its
     * first pass 0.86 LU too loud, 0.48 without; 2 passes again with the lookahead's share).
     * What it leaves out, the loudness node measures on windows of the song. */
    r->fast = exp(-LATHE_LIMITER_FAST_DIV * (double)m->block / (release_ms * 1e-3 * m->rate));
    r->settle = exp(-(double)m->block / (LATHE_LIMITER_SLOW_ATTACK_MS * 1e-3 * m->rate));
    /* the lookahead lowers the gain before a peak over its share of the block before */
    r->ahead = fmin(1.0, lookahead_ms * 1e-3 * m->rate / (double)m->block);
    r->ceiling = ceiling;
    r->two_stage = two_stage;
    return 0;
}

static double loss_of(double kept, double in)
{
    return in > 0.0 && kept > 0.0 ? 10.0 * log10(in / kept) : 0.0;
}

double lathe_lossmodel_loss_db(const lathe_lossmodel *m, double gain_db, double ceiling,
                               double lookahead_ms, double release_ms, int two_stage,
                               double tp_db)
{
    model_run r;
    double kept = 0.0, in = 0.0;
    if (setup(m, gain_db, ceiling, lookahead_ms, release_ms, two_stage, tp_db, &r) != 0)
        return 0.0;
    run_blocks(m, &r, 0, 0, m->filled, &kept, &in);
    return loss_of(kept, in);
}

size_t lathe_lossmodel_block(const lathe_lossmodel *m)
{
    return m->block;
}

double lathe_lossmodel_window_loss_db(const lathe_lossmodel *m, double gain_db, double ceiling,
                                      double lookahead_ms, double release_ms, int two_stage,
                                      double tp_db, const lathe_lossmodel_window *w, int n)
{
    model_run r;
    double kept = 0.0, in = 0.0;
    if (setup(m, gain_db, ceiling, lookahead_ms, release_ms, two_stage, tp_db, &r) != 0)
        return 0.0;
    for (int i = 0; i < n; i++)
        run_blocks(m, &r, w[i].warm / m->block, w[i].start / m->block, w[i].end / m->block,
                   &kept, &in);
    return loss_of(kept, in);
}
