/* multiband: 2-4 band compressor on Linkwitz-Riley (LR4) crossovers.
 *
 * The split is a tree: at each crossover f_k (ascending) the remaining signal t gives
 * band k = LP4_k(t) and t = HP4_k(t); the last band is what remains. Each lower band then passes
 * the LR4 allpasses (LP4 + HP4 = AP2) of every crossover above its own, so that all bands carry
 * the same phase and the sum at unity is the allpass AP_1 AP_2 AP_3: flat magnitude, no comb.
 * Each band has its own compressor (dsp/dynamics.h); solo listens to chosen bands only, bypass
 * passes a band at unity. IIR only: no latency. */
#include "lathe/lathe_node.h"

#include "dsp/biquad.h"
#include "dsp/dynamics.h"

#include <stdio.h>
#include <string.h>

#define MB_MAX_BANDS 4
#define MB_MAX_X (MB_MAX_BANDS - 1)

typedef struct mb_band {
    double threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_db;
    int solo, bypass;
} mb_band;

typedef struct multiband_params {
    double crossovers_hz[MB_MAX_X];
    int n_crossovers_hz;
    mb_band bands[MB_MAX_BANDS];
    int n_bands;
    int detector;
    double link;
} multiband_params;

static const char *const detector_choices[] = {"peak", "rms", NULL};

static const lathe_param band_table[] = {
    LATHE_NUMBER(mb_band, threshold_db, 0.0, -80.0, 0.0, "band level where reduction starts"),
    LATHE_NUMBER(mb_band, ratio, 1.0, 1.0, 100.0, "compression ratio (1 = unity)"),
    LATHE_NUMBER(mb_band, attack_ms, 10.0, 0.01, 1000.0, "time to 63% of a GR rise"),
    LATHE_NUMBER(mb_band, release_ms, 100.0, 1.0, 5000.0, "time to 63% of a GR fall"),
    LATHE_NUMBER(mb_band, knee_db, 0.0, 0.0, 24.0, "soft knee width"),
    LATHE_NUMBER(mb_band, makeup_db, 0.0, -24.0, 24.0, "band gain after compression"),
    LATHE_BOOL(mb_band, solo, 0, "listen to soloed bands only"),
    LATHE_BOOL(mb_band, bypass, 0, "band at unity, no compression"),
    LATHE_PARAM_END
};

static const lathe_param multiband_table[] = {
    LATHE_NUMBERS(multiband_params, crossovers_hz, MB_MAX_X, 20.0, 20000.0,
                  "1-3 ascending crossover frequencies (2-4 bands); empty: 150, 2500"),
    LATHE_LIST(multiband_params, bands, band_table,
               "per band, low to high; missing bands stay at unity"),
    LATHE_ENUM(multiband_params, detector, "peak", detector_choices, "level detector"),
    LATHE_NUMBER(multiband_params, link, 1.0, 0.0, 1.0, "stereo link of every band"),
    LATHE_PARAM_END
};

typedef struct multiband_state {
    lathe_biquad_cascade lp[MB_MAX_X], hp[MB_MAX_X], ap[MB_MAX_BANDS];
    lathe_dynamics dyn[MB_MAX_BANDS];
    int n_bands;
    int active[MB_MAX_BANDS]; /* compressor runs (ratio > 1 or makeup, and not bypassed) */
    int audible[MB_MAX_BANDS];
    double makeup[MB_MAX_BANDS];
    uint32_t channels;
    float *fmem;  /* band signals and the split's remainder */
    double *dmem; /* gain reduction, then gain */
    double *gr[LATHE_MAX_CHANNELS];
    float *band[MB_MAX_BANDS][LATHE_MAX_CHANNELS];
    float *rest[LATHE_MAX_CHANNELS];
    double gr_max[MB_MAX_BANDS], gr_sum[MB_MAX_BANDS]; /* per band, dB, over frames x channels */
    uint64_t gr_count;
} multiband_state;

static int check(const multiband_params *p, const lathe_format *in, const double *xo, int n_x,
                 char *err)
{
    if (in->channels > LATHE_DYNAMICS_MAX_CH) {
        snprintf(err, LATHE_ERR_MAX, "at most %d channels", LATHE_DYNAMICS_MAX_CH);
        return LATHE_ERR_FORMAT;
    }
    for (int k = 0; k < n_x; k++) {
        if (xo[k] >= 0.45 * in->rate) {
            snprintf(err, LATHE_ERR_MAX, "crossovers_hz %g must be below %g at %u Hz", xo[k],
                     0.45 * in->rate, (unsigned)in->rate);
            return LATHE_ERR_PARAM;
        }
        if (k > 0 && xo[k] <= xo[k - 1]) {
            snprintf(err, LATHE_ERR_MAX, "crossovers_hz must ascend (%g after %g)", xo[k],
                     xo[k - 1]);
            return LATHE_ERR_PARAM;
        }
    }
    if (p->n_bands > n_x + 1) {
        snprintf(err, LATHE_ERR_MAX, "%d bands given for %d crossovers (at most %d)", p->n_bands,
                 n_x, n_x + 1);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

static void design_filters(multiband_state *s, const double *xo, int n_x, double rate)
{
    lathe_biquad sec[8];
    for (int k = 0; k < n_x; k++) {
        int n = lathe_biquad_linkwitz_riley(sec, 4, 0, xo[k], rate);
        lathe_biquad_cascade_init(&s->lp[k], sec, n, s->channels);
        n = lathe_biquad_linkwitz_riley(sec, 4, 1, xo[k], rate);
        lathe_biquad_cascade_init(&s->hp[k], sec, n, s->channels);
    }
    /* band k (below crossover k) needs the allpasses of crossovers k+1 .. n_x-1 */
    for (int k = 0; k < n_x + 1; k++) {
        int n = 0;
        for (int j = k + 1; j < n_x; j++)
            n += lathe_biquad_lr_allpass(sec + n, 4, xo[j], rate);
        lathe_biquad_cascade_init(&s->ap[k], sec, n, s->channels);
    }
}

static void setup_bands(multiband_state *s, const multiband_params *p, const lathe_format *in)
{
    int any_solo = 0;
    for (int k = 0; k < p->n_bands; k++)
        any_solo |= p->bands[k].solo;
    for (int k = 0; k < s->n_bands; k++) {
        mb_band b = {0.0, 1.0, 10.0, 100.0, 0.0, 0.0, 0, 0}; /* band_table's defaults */
        if (k < p->n_bands)
            b = p->bands[k];
        lathe_dynamics_config c;
        lathe_dynamics_config_default(&c);
        c.rate = in->rate;
        c.channels = in->channels;
        c.threshold_db = b.threshold_db;
        c.ratio = b.ratio;
        c.knee_db = b.knee_db;
        c.attack_ms = b.attack_ms;
        c.release_ms = b.release_ms;
        c.link = p->link;
        c.detector = p->detector ? LATHE_DYNAMICS_RMS : LATHE_DYNAMICS_PEAK;
        lathe_dynamics_init(&s->dyn[k], &c);
        s->makeup[k] = b.bypass ? 1.0 : lathe_db_to_gain(b.makeup_db);
        s->active[k] = !b.bypass && (b.ratio > 1.0 || b.makeup_db != 0.0);
        s->audible[k] = !any_solo || b.solo;
    }
}

static int multiband_prepare(void *state, lathe_prepare_ctx *ctx)
{
    multiband_state *s = state;
    const multiband_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    static const double def_xo[] = {150.0, 2500.0};
    const double *xo = p->n_crossovers_hz ? p->crossovers_hz : def_xo;
    int n_x = p->n_crossovers_hz ? p->n_crossovers_hz : 2;
    int rc = check(p, in, xo, n_x, ctx->err);
    if (rc != LATHE_OK)
        return rc;
    s->channels = in->channels;
    s->n_bands = n_x + 1;
    design_filters(s, xo, n_x, in->rate);
    setup_bands(s, p, in);
    uint32_t m = ctx->max_frames, nch = s->channels;
    s->fmem = lathe_alloc(sizeof(float) * (size_t)(s->n_bands + 1) * nch * m);
    s->dmem = lathe_alloc(sizeof(double) * nch * m);
    if (!s->fmem || !s->dmem) {
        snprintf(ctx->err, LATHE_ERR_MAX, "out of memory");
        return LATHE_ERR_NOMEM;
    }
    for (uint32_t c = 0; c < nch; c++) {
        for (int k = 0; k < s->n_bands; k++)
            s->band[k][c] = s->fmem + ((size_t)k * nch + c) * m;
        s->rest[c] = s->fmem + ((size_t)s->n_bands * nch + c) * m;
        s->gr[c] = s->dmem + (size_t)c * m;
    }
    return LATHE_OK;
}

static void multiband_reset(void *state)
{
    multiband_state *s = state;
    memset(s->gr_max, 0, sizeof s->gr_max);
    memset(s->gr_sum, 0, sizeof s->gr_sum);
    s->gr_count = 0;
    for (int k = 0; k < s->n_bands; k++) {
        lathe_dynamics_reset(&s->dyn[k]);
        lathe_biquad_cascade_reset(&s->ap[k]);
        if (k < s->n_bands - 1) {
            lathe_biquad_cascade_reset(&s->lp[k]);
            lathe_biquad_cascade_reset(&s->hp[k]);
        }
    }
}

static void multiband_release(void *state)
{
    multiband_state *s = state;
    lathe_dealloc(s->fmem);
    lathe_dealloc(s->dmem);
    s->fmem = NULL;
    s->dmem = NULL;
}

static void split(multiband_state *s, const float *const *x, uint32_t n)
{
    const float *const *t = x;
    int last = s->n_bands - 1;
    for (int k = 0; k < last; k++) {
        lathe_biquad_cascade_process(&s->lp[k], t, s->band[k], n);
        float *const *dst = k == last - 1 ? s->band[last] : s->rest;
        lathe_biquad_cascade_process(&s->hp[k], t, dst, n);
        t = (const float *const *)dst;
    }
    for (int k = 0; k < last - 1; k++)
        lathe_biquad_cascade_process(&s->ap[k], (const float *const *)s->band[k], s->band[k], n);
}

/* Compresses band k in place (gain applied in double; one gain row when linked). */
static void compress_band(multiband_state *s, int k, uint32_t n)
{
    lathe_dynamics_process(&s->dyn[k], (const float *const *)s->band[k], n, s->gr);
    uint32_t rows = lathe_dynamics_linked(&s->dyn[k]) ? 1 : s->channels;
    double mk = s->makeup[k], mx = s->gr_max[k], sum = 0.0;
    for (uint32_t c = 0; c < rows; c++) {
        double *g = s->gr[c];
        for (uint32_t i = 0; i < n; i++) {
            mx = g[i] > mx ? g[i] : mx;
            sum += g[i];
            g[i] = mk * lathe_dynamics_gain(g[i]);
        }
    }
    s->gr_max[k] = mx;
    s->gr_sum[k] += sum * (double)(s->channels / rows); /* one row stands for every channel */
    for (uint32_t c = 0; c < s->channels; c++) {
        float *b = s->band[k][c];
        const double *g = s->gr[rows == 1 ? 0 : c];
        for (uint32_t i = 0; i < n; i++)
            b[i] = (float)((double)b[i] * g[i]);
    }
}

static void multiband_process(void *state, lathe_block *b)
{
    multiband_state *s = state;
    uint32_t n = b->n_in;
    s->gr_count += (uint64_t)n * s->channels;
    split(s, b->in[0], n);
    for (int k = 0; k < s->n_bands; k++)
        if (s->active[k] && s->audible[k])
            compress_band(s, k, n);
    for (uint32_t c = 0; c < s->channels; c++) {
        float *y = b->out[c];
        memset(y, 0, sizeof(float) * n);
        for (int k = 0; k < s->n_bands; k++) {
            if (!s->audible[k])
                continue;
            const float *bk = s->band[k][c];
            for (uint32_t i = 0; i < n; i++)
                y[i] += bk[i];
        }
    }
}

/* Per band its reduction (band1_gr_max_db, band1_gr_avg_db, ...), and the largest of them as
 * gr_max_db / gr_avg_db, the keys report.html's reduction chart reads for every dynamics node. */
static void multiband_report(void *state, lathe_report *r)
{
    multiband_state *s = state;
    double mx = 0.0, avg = 0.0;
    for (int k = 0; k < s->n_bands; k++) {
        char key[32];
        double a = s->gr_count ? s->gr_sum[k] / (double)s->gr_count : 0.0;
        snprintf(key, sizeof key, "band%d_gr_max_db", k + 1);
        lathe_report_number(r, key, s->gr_max[k]);
        snprintf(key, sizeof key, "band%d_gr_avg_db", k + 1);
        lathe_report_number(r, key, a);
        mx = s->gr_max[k] > mx ? s->gr_max[k] : mx;
        avg = a > avg ? a : avg;
    }
    lathe_report_number(r, "gr_max_db", mx);
    lathe_report_number(r, "gr_avg_db", avg);
}

const lathe_node_desc lathe_node_multiband = {
    .name = "multiband",
    .summary = "2-4 band compressor on phase-compensated Linkwitz-Riley crossovers",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(multiband_params),
    .params = multiband_table,
    .state_size = sizeof(multiband_state),
    .prepare = multiband_prepare,
    .reset = multiband_reset,
    .process = multiband_process,
    .release = multiband_release,
    .report = multiband_report,
};
