/* compress: feed-forward broadband compressor (soft knee, peak or RMS detector, optional
 * lookahead, sidechain high-pass, stereo link, stereo or mid/side, makeup, dry/wet).
 *
 * The detector and gain computer are the shared kernel in dsp/dynamics.h. Lookahead delays the
 * audio, not the detector, and is declared as latency (the engine re-aligns the output). The
 * applied gain is w = 1 + mix * (makeup * g - 1), which is exactly 1 when nothing is reduced,
 * so ratio 1 with makeup 0 dB is a bit-exact identity at any mix. */
#include "lathe/lathe_node.h"

#include "dsp/biquad.h"
#include "dsp/dynamics.h"

#include <stdio.h>
#include <string.h>

enum { DET_PEAK, DET_RMS };
enum { MODE_STEREO, MODE_MIDSIDE };

typedef struct compress_params {
    double threshold_db, ratio, knee_db, attack_ms, release_ms;
    int detector;
    double rms_ms, lookahead_ms, makeup_db, mix;
    double sidechain_hpf_hz, link;
    int mode;
    int auto_release;
} compress_params;

static const char *const detector_choices[] = {"peak", "rms", NULL};
static const char *const mode_choices[] = {"stereo", "midside", NULL};

#define P(f, d, lo, hi, h) LATHE_NUMBER(compress_params, f, d, lo, hi, h)
static const lathe_param compress_table[] = {
    P(threshold_db, 0.0, -80.0, 0.0, "level where reduction starts (dBFS)"),
    P(ratio, 1.0, 1.0, 100.0, "input dB per output dB above threshold"),
    P(knee_db, 0.0, 0.0, 24.0, "soft knee width centred on the threshold"),
    P(attack_ms, 10.0, 0.01, 1000.0, "time to 63% of a gain-reduction rise"),
    P(release_ms, 100.0, 1.0, 5000.0, "time to 63% of a gain-reduction fall"),
    LATHE_ENUM(compress_params, detector, "peak", detector_choices, "level detector"),
    P(rms_ms, 10.0, 0.1, 1000.0, "RMS detector time constant"),
    P(lookahead_ms, 0.0, 0.0, 100.0, "detector sees the audio this early (declared latency)"),
    P(makeup_db, 0.0, -24.0, 48.0, "gain after compression (wet path)"),
    P(mix, 1.0, 0.0, 1.0, "wet proportion (parallel compression < 1)"),
    P(sidechain_hpf_hz, 0.0, 0.0, 2000.0, "detector high-pass (12 dB/oct), 0 = off"),
    P(link, 1.0, 0.0, 1.0, "stereo link: 0 independent, 1 linked"),
    LATHE_ENUM(compress_params, mode, "stereo", mode_choices,
               "L/R, or mid/side (with link 0 to compress M and S independently)"),
    LATHE_BOOL(compress_params, auto_release, 0, "program-dependent release (up to 4x release_ms)"),
    LATHE_PARAM_END
};
#undef P

typedef struct compress_state {
    lathe_dynamics dyn;
    lathe_dynamics_delay delay;
    lathe_biquad_cascade hpf;
    uint32_t channels, lookahead;
    int use_hpf, midside;
    double makeup, mix;
    float *fmem;
    double *dmem;
    float *sc[LATHE_MAX_CHANNELS];  /* detector input */
    double *gr[LATHE_MAX_CHANNELS]; /* gain reduction, dB */
    double *w[LATHE_MAX_CHANNELS];  /* applied gain */
    const double *wrow[LATHE_MAX_CHANNELS]; /* the gain row each channel uses this block */
    double gr_max, gr_sum;
    uint64_t gr_count;
} compress_state;

static int check(const compress_params *p, const lathe_format *in, char *err)
{
    if (in->channels > LATHE_DYNAMICS_MAX_CH) {
        snprintf(err, LATHE_ERR_MAX, "at most %d channels", LATHE_DYNAMICS_MAX_CH);
        return LATHE_ERR_FORMAT;
    }
    if (p->mode == MODE_MIDSIDE && in->channels != 2) {
        snprintf(err, LATHE_ERR_MAX, "mode midside needs 2 channels, input has %u",
                 (unsigned)in->channels);
        return LATHE_ERR_FORMAT;
    }
    if (p->sidechain_hpf_hz >= 0.45 * in->rate) {
        snprintf(err, LATHE_ERR_MAX, "sidechain_hpf_hz %g must be below %g at %u Hz",
                 p->sidechain_hpf_hz, 0.45 * in->rate, (unsigned)in->rate);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

static void dyn_config(const compress_params *p, const lathe_format *in, lathe_dynamics_config *c)
{
    lathe_dynamics_config_default(c);
    c->rate = in->rate;
    c->channels = in->channels;
    c->threshold_db = p->threshold_db;
    c->ratio = p->ratio;
    c->knee_db = p->knee_db;
    c->attack_ms = p->attack_ms;
    c->release_ms = p->release_ms;
    c->rms_ms = p->rms_ms;
    c->detector = p->detector == DET_RMS ? LATHE_DYNAMICS_RMS : LATHE_DYNAMICS_PEAK;
    c->auto_release = p->auto_release;
    c->link = p->link;
}

static int compress_prepare(void *state, lathe_prepare_ctx *ctx)
{
    compress_state *s = state;
    const compress_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    int rc = check(p, in, ctx->err);
    if (rc != LATHE_OK)
        return rc;
    lathe_dynamics_config cfg;
    dyn_config(p, in, &cfg);
    lathe_dynamics_init(&s->dyn, &cfg);
    s->channels = in->channels;
    s->midside = p->mode == MODE_MIDSIDE;
    s->makeup = lathe_db_to_gain(p->makeup_db);
    s->mix = p->mix;
    s->lookahead = (uint32_t)(p->lookahead_ms * 0.001 * in->rate + 0.5);
    uint32_t m = ctx->max_frames, nch = s->channels;
    size_t per = lathe_dynamics_delay_floats(s->lookahead, m);
    s->fmem = lathe_calloc(nch * (per + m), sizeof(float));
    s->dmem = lathe_calloc((size_t)nch * 2 * m, sizeof(double));
    if (!s->fmem || !s->dmem) {
        snprintf(ctx->err, LATHE_ERR_MAX, "out of memory");
        return LATHE_ERR_NOMEM;
    }
    lathe_dynamics_delay_init(&s->delay, s->fmem, nch, s->lookahead, m);
    for (uint32_t c = 0; c < nch; c++) {
        s->sc[c] = s->fmem + nch * per + (size_t)c * m;
        s->gr[c] = s->dmem + (size_t)c * 2 * m;
        s->w[c] = s->gr[c] + m;
    }
    s->use_hpf = p->sidechain_hpf_hz > 0.0;
    lathe_biquad sec[2];
    int n_sec = s->use_hpf ? lathe_biquad_butterworth(sec, 2, 1, p->sidechain_hpf_hz, in->rate) : 0;
    lathe_biquad_cascade_init(&s->hpf, sec, n_sec, nch);
    ctx->latency = s->lookahead;
    return LATHE_OK;
}

static void compress_reset(void *state)
{
    compress_state *s = state;
    lathe_dynamics_reset(&s->dyn);
    lathe_dynamics_delay_reset(&s->delay);
    lathe_biquad_cascade_reset(&s->hpf);
    s->gr_max = s->gr_sum = 0.0;
    s->gr_count = 0;
}

static void compress_release(void *state)
{
    compress_state *s = state;
    lathe_dealloc(s->fmem);
    lathe_dealloc(s->dmem);
    s->fmem = NULL;
    s->dmem = NULL;
}

/* Detector input: L/R or M/S, optionally high-passed. Returns the channel pointers to use. */
static const float *const *sidechain(compress_state *s, const float *const *x, uint32_t n)
{
    const float *const *src = x;
    if (s->midside) {
        for (uint32_t i = 0; i < n; i++) {
            s->sc[0][i] = 0.5f * (x[0][i] + x[1][i]);
            s->sc[1][i] = 0.5f * (x[0][i] - x[1][i]);
        }
        src = (const float *const *)s->sc;
    }
    if (!s->use_hpf)
        return src;
    lathe_biquad_cascade_process(&s->hpf, src, s->sc, n);
    return (const float *const *)s->sc;
}

static void gains_and_stats(compress_state *s, uint32_t n)
{
    double mx = s->gr_max, sum = 0.0;
    double mk = s->makeup, mix = s->mix;
    /* fully linked: every channel has the same GR, so one gain row serves all */
    uint32_t rows = lathe_dynamics_linked(&s->dyn) ? 1 : s->channels;
    for (uint32_t c = 0; c < rows; c++) {
        const double *gr = s->gr[c];
        double *w = s->w[c];
        for (uint32_t i = 0; i < n; i++) {
            mx = gr[i] > mx ? gr[i] : mx;
            sum += gr[i];
            w[i] = 1.0 + mix * (mk * lathe_dynamics_gain(gr[i]) - 1.0);
        }
    }
    for (uint32_t c = rows; c < s->channels; c++)
        s->wrow[c] = s->w[0];
    for (uint32_t c = 0; c < rows; c++)
        s->wrow[c] = s->w[c];
    s->gr_max = mx;
    s->gr_sum += sum * (double)(s->channels / rows);
    s->gr_count += (uint64_t)n * s->channels;
}

static void compress_process(void *state, lathe_block *b)
{
    compress_state *s = state;
    uint32_t n = b->n_in;
    const float *const *x = b->in[0];
    lathe_dynamics_process(&s->dyn, sidechain(s, x, n), n, s->gr);
    gains_and_stats(s, n);
    const float *xd[LATHE_MAX_CHANNELS];
    lathe_dynamics_delay_push(&s->delay, x, n, xd);
    if (s->midside) {
        const double *wm = s->wrow[0], *ws = s->wrow[1];
        for (uint32_t i = 0; i < n; i++) {
            /* exact in double: M + S and M - S give L and R back when wm = ws = 1 */
            double m = 0.5 * ((double)xd[0][i] + (double)xd[1][i]) * wm[i];
            double sd = 0.5 * ((double)xd[0][i] - (double)xd[1][i]) * ws[i];
            b->out[0][i] = (float)(m + sd);
            b->out[1][i] = (float)(m - sd);
        }
    } else {
        for (uint32_t c = 0; c < s->channels; c++) {
            const double *w = s->wrow[c];
            const float *xc = xd[c];
            float *y = b->out[c];
            for (uint32_t i = 0; i < n; i++)
                y[i] = (float)((double)xc[i] * w[i]);
        }
    }
    lathe_dynamics_delay_advance(&s->delay, n);
}

static void compress_report(void *state, lathe_report *r)
{
    const compress_state *s = state;
    lathe_report_number(r, "gr_max_db", s->gr_max);
    lathe_report_number(r, "gr_avg_db", s->gr_count ? s->gr_sum / (double)s->gr_count : 0.0);
}

static int compress_is_identity(const void *params, const lathe_format *in)
{
    const compress_params *p = params;
    (void)in;
    return p->ratio == 1.0 && p->makeup_db == 0.0;
}

const lathe_node_desc lathe_node_compress = {
    .name = "compress",
    .summary = "feed-forward compressor: soft knee, peak/RMS, lookahead, link, mid/side, mix",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(compress_params),
    .params = compress_table,
    .state_size = sizeof(compress_state),
    .prepare = compress_prepare,
    .reset = compress_reset,
    .process = compress_process,
    .release = compress_release,
    .report = compress_report,
    .is_identity = compress_is_identity,
};
