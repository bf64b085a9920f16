/* loudness: gain followed by the true-peak limiter, the gain found so the rendered output's
 * integrated loudness lands on target_lufs (within 0.02 LU) with its true peak at or below
 * ceiling_dbtp. An analysis barrier: it measures the input, then renders gain + limiter over
 * the cached input a few times, adjusting the gain by the secant method on the measured output
 * (the limiter takes loudness away as it works). The first gain allows for the loss a model of
 * the limiter predicts (lossmodel.h), scaled by what the limiter takes on windows of the song
 * when it limits hard, so one pass is usually enough. The main pass renders exactly
 * the measured configuration, so the reported output loudness is the file's. When the target
 * needs more peak gain reduction than max_gr_db it fails and says so, instead of crushing the
 * music. What it measures of the input alone is remembered, so a run that changes only the
 * parameters (a new target) starts at the search. */
#include "loudness_pass.h"

#include "measure/kernel_host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_PASSES 8
#define TOL_LU 0.02    /* aim */
#define ACCEPT_LU 0.1  /* promise (the tolerance) */

typedef struct loudness_params {
    double target_lufs;
    double ceiling_dbtp;
    double max_gr_db;
    double lookahead_ms;
    double release_ms;
    int release;
    double link;
} loudness_params;

static const char *const release_choices[] = { "fixed", "adaptive", NULL };

static const lathe_param loudness_table[] = {
    LATHE_NUMBER(loudness_params, target_lufs, -14.0, -70.0, 0.0,
                 "integrated loudness of the output (BS.1770, LUFS)"),
    LATHE_NUMBER(loudness_params, ceiling_dbtp, -1.0, -40.0, 0.0,
                 "output true-peak ceiling (dBTP)"),
    LATHE_NUMBER(loudness_params, max_gr_db, 6.0, 0.0, 40.0,
                 "fail rather than limit peaks by more than this (dB)"),
    LATHE_NUMBER(loudness_params, lookahead_ms, 3.0, 0.5, 20.0, "limiter lookahead"),
    LATHE_NUMBER(loudness_params, release_ms, 100.0, 1.0, 5000.0, "limiter release"),
    LATHE_ENUM(loudness_params, release, "adaptive", release_choices,
               "limiter release: adaptive (program dependent, as limit's) or fixed"),
    LATHE_NUMBER(loudness_params, link, 1.0, 0.0, 1.0, "limiter stereo link"),
    LATHE_PARAM_END
};

enum { A_GAIN_DB, A_IN_LUFS, A_OUT_LUFS, A_GR_MAX, A_GR_AVG, A_PASSES, A_IN_TP,
       A_IN_REMEMBERED, A_PEAKS_REMEMBERED, A_COUNT };

typedef struct loudness_state {
    lathe_limiter *lim;
    float g;
    uint32_t channels;
    float *x[LATHE_MAX_CHANNELS];
    double analysis[A_COUNT];
} loudness_state;

static lathe_limiter_config limiter_config(const loudness_params *p, const lathe_format *f)
{
    lathe_limiter_config c = lathe_limiter_config_default(f->rate, f->channels);
    c.ceiling = lathe_db_to_gain(p->ceiling_dbtp);
    c.lookahead_ms = p->lookahead_ms;
    c.release_ms = p->release_ms;
    c.two_stage_release = p->release == 1;
    c.link = p->link;
    c.true_peak = 1;
    return c;
}

/* The model's loss (dB) at gain g dB with this node's limiter: over the n windows w, or the
 * whole stream (w NULL). */
static double model_loss(const loudness_params *p, const lathe_lossmodel *model,
                         const loudness_pass *in, double g, const lathe_lossmodel_window *w,
                         int n)
{
    double ceil = lathe_db_to_gain(p->ceiling_dbtp);
    return w ? lathe_lossmodel_window_loss_db(model, g, ceil, p->lookahead_ms, p->release_ms,
                                              p->release == 1, in->tp_db, w, n)
             : lathe_lossmodel_loss_db(model, g, ceil, p->lookahead_ms, p->release_ms,
                                       p->release == 1, in->tp_db);
}

/* The gain (dB) whose predicted output loudness is the target: g = deficit + k loss(g), by
 * fixed-point steps. The loss usually grows more slowly than the gain; on a brick-walled mix it
 * may not, and the steps stop at the limiting budget (1 in *capped), from where the measured
 * passes take over. */
static double predicted_gain(const loudness_params *p, const lathe_lossmodel *model,
                             const loudness_pass *in, double k, int *capped)
{
    double deficit = p->target_lufs - in->lufs;
    double g = deficit, cap = deficit + p->max_gr_db + 6.0; /* past the budget anyway */
    for (int i = 0; i < 40; i++) {
        double next = deficit + k * model_loss(p, model, in, g, NULL, 0);
        next = fmin(next, cap);
        int done = fabs(next - g) < 1e-4;
        g = next;
        if (done)
            break;
    }
    if (capped)
        *capped = g >= cap - 1e-3;
    return g;
}

/* Calibration: the model leaves out part of what the limiter does (the bridge, the attack's
 * shape), which on a heavily limited master is 10-20% of the loss, several times the tolerance
 * (a compressed mix 6 dB into the limiter: 0.21 LU short at the model's gain). Before the first
 * full pass the limiter runs on windows spread over the song (a tenth of it in all, at least a
 * second each), each from rest CAL_WARM_S before it, and the model is scaled by the loudness
 * it took there against what the model predicts for the same windows: a sixth of a pass on a
 * 4-minute song, where a second pass is a whole one. Light limiting (below CAL_MIN_LOSS_DB
 * predicted on the windows: the model's error is within the tolerance) and songs too short for
 * the windows go straight to the full pass. */
#define CAL_WINDOWS 10     /* at most */
#define CAL_MIN_WINDOWS 3
#define CAL_SHARE 0.1      /* of the song in windows */
#define CAL_MAX_SHARE 0.4  /* with their warm-ups; beyond it, no calibration */
#define CAL_MIN_WINDOW_S 1.0
#define CAL_WARM_S 1.0
#define CAL_MIN_LOSS_DB 0.1

/* The windows, block-aligned for the model; their number, 0 when the song is too short. */
static int cal_windows(const lathe_format *f, const lathe_lossmodel *model,
                       lathe_lossmodel_window *w)
{
    const uint64_t b = lathe_lossmodel_block(model), share = (uint64_t)(CAL_SHARE * f->frames);
    uint64_t win = (uint64_t)(CAL_MIN_WINDOW_S * f->rate);
    win = (share / CAL_WINDOWS > win ? share / CAL_WINDOWS : win) / b * b;
    uint64_t warm = (uint64_t)(CAL_WARM_S * f->rate) / b * b;
    int n = win ? (int)(share / win) : 0;
    n = n > CAL_WINDOWS ? CAL_WINDOWS : n < CAL_MIN_WINDOWS ? CAL_MIN_WINDOWS : n;
    if (!win || (double)n * (double)(win + warm) > CAL_MAX_SHARE * (double)f->frames)
        return 0;
    for (int i = 0; i < n; i++) {
        uint64_t mid = f->frames * (2 * (uint64_t)i + 1) / (2 * (uint64_t)n);
        uint64_t start = (mid - win / 2) / b * b;
        w[i] = (lathe_lossmodel_window){start - warm, start, start + win};
    }
    return n;
}

/* The first gain, g the model's own: scaled by what the windows measured at g, unless the
 * scaled model has the loss outgrow the gain (a programme whose peaks carry most of its energy,
 * where the model's slope is off too): then g stays and the measured passes take over. */
static int calibrate(lathe_analyze_ctx *ctx, lathe_limiter *lim, loudness_trial *t,
                     const lathe_lossmodel *model, const loudness_pass *in, double *g)
{
    const loudness_params *p = ctx->params;
    lathe_lossmodel_window w[CAL_WINDOWS];
    int n = cal_windows(lathe_stream_format(ctx->streams[0]), model, w);
    if (!n)
        return LATHE_OK;
    double guess = model_loss(p, model, in, *g, w, n), loss = NAN;
    if (guess < CAL_MIN_LOSS_DB)
        return LATHE_OK;
    int capped, rc = lathe_loudness_render_windows(ctx, lim, (float)lathe_db_to_gain(*g), t, w, n,
                                                   &loss);
    if (rc != LATHE_OK || !(loss > 0.0)) /* NaN: silent windows */
        return rc;
    double scaled = predicted_gain(p, model, in, fmin(4.0, loss / guess), &capped);
    *g = capped ? *g : scaled;
    return rc;
}

/* The gain search; best (closest) pass in *best. The output's loudness rises with the gain at
 * most dB for dB, and ever more slowly as the limiter works harder. The first step starts where
 * the model predicts; the second scales the model by what the first pass measured; then secant
 * steps: inside the bracket once passes on both sides of the target are known (Illinois: a side
 * kept twice has its miss halved, so the bracket closes from both ends), outside it at least the
 * dB-for-dB step (which cannot pass the target) and at most BOLD times it (on a flat, heavily
 * limited stretch the secant's extrapolation lands far beyond the target). */
#define BOLD 10.0
static int search_gain(lathe_analyze_ctx *ctx, lathe_limiter *lim, loudness_trial *t,
                       const lathe_lossmodel *model, const loudness_pass *in, loudness_pass *best,
                       int *passes)
{
    const loudness_params *p = ctx->params;
    double g_prev = 0.0, f_prev = 0.0, g = predicted_gain(p, model, in, 1.0, NULL);
    double side_g[2] = {0.0, 0.0}, side_f[2] = {0.0, 0.0}; /* [0] too quiet, [1] too loud */
    int have[2] = {0, 0}, last_side = -1, rc = calibrate(ctx, lim, t, model, in, &g);
    if (rc != LATHE_OK)
        return rc;
    for (*passes = 1; *passes <= MAX_PASSES; ++*passes) {
        loudness_pass cur;
        rc = lathe_loudness_render_pass(ctx, lim, (float)lathe_db_to_gain(g), t, NULL, &cur);
        if (rc != LATHE_OK)
            return rc;
        cur.gain_db = g;
        double f = cur.lufs - p->target_lufs;
        if (*passes == 1 || fabs(f) < fabs(best->lufs - p->target_lufs)) {
            *best = cur;
            lathe_analyze_output_keep(ctx); /* exactly what process() would render */
        }
        if (fabs(f) < TOL_LU)
            return LATHE_OK;
        if (f < 0.0 && cur.gr_max > p->max_gr_db)
            return LATHE_OK; /* more gain only limits harder: the caller reports the budget */
        int side = f > 0.0;
        if (side == last_side && have[!side])
            side_f[!side] *= 0.5;
        side_g[side] = g;
        side_f[side] = f;
        have[side] = 1;
        last_side = side;
        double next = g - f; /* make up the miss dB for dB */
        if (*passes == 1) {
            double loss = in->lufs + g - cur.lufs, guess = model_loss(p, model, in, g, NULL, 0);
            int capped = 0;
            double scaled = guess > 1e-3 && loss > 0.0
                            ? predicted_gain(p, model, in, fmin(4.0, loss / guess), &capped)
                            : next;
            next = capped ? next : scaled; /* beyond the budget: the dB-for-dB step */
        } else if (have[0] && have[1]) {
            double lo = side_g[0], hi = side_g[1];
            next = lo - side_f[0] * (hi - lo) / (side_f[1] - side_f[0]);
            if (!(next > fmin(lo, hi) && next < fmax(lo, hi)))
                next = 0.5 * (lo + hi);
        } else if (f != f_prev) {
            double d = -f * (g - g_prev) / (f - f_prev);
            if (d * -f <= 0.0 || fabs(d) < fabs(f))
                d = -f;
            next = g + (fabs(d) > BOLD * fabs(f) ? -BOLD * f : d);
        }
        g_prev = g;
        f_prev = f;
        g += fmax(-20.0, fmin(20.0, next - g));
    }
    *passes = MAX_PASSES;
    return LATHE_OK;
}

static int check_result(lathe_analyze_ctx *ctx, const loudness_pass *in,
                        const loudness_pass *best, int passes)
{
    const loudness_params *p = ctx->params;
    double miss = best->lufs - p->target_lufs;
    if (best->gr_max > p->max_gr_db) {
        snprintf(ctx->err, sizeof ctx->err,
                 "reaching %.1f LUFS from %.1f LUFS needs more than max_gr_db %.1f dB of peak "
                 "limiting (gain %+.1f dB limits peaks by %.1f dB and gives %.1f LUFS); lower "
                 "target_lufs or raise max_gr_db", p->target_lufs, in->lufs, p->max_gr_db,
                 best->gain_db, best->gr_max, best->lufs);
        return LATHE_ERR_PARAM;
    }
    if (isnan(best->lufs) || fabs(miss) > ACCEPT_LU) {
        snprintf(ctx->err, sizeof ctx->err,
                 "could not bring %.1f LUFS to %.1f LUFS under a %.1f dBTP ceiling within "
                 "0.1 LU (best %.2f LUFS at gain %+.1f dB after %d passes)", in->lufs,
                 p->target_lufs, p->ceiling_dbtp, best->lufs, best->gain_db, passes);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

/* What the search needs of the input alone: its loudness and true peak (exact, as measured)
 * and the loss model's blocks; remembered as one memo so a new target skips the input pass. */
static int measure_input(lathe_analyze_ctx *ctx, loudness_trial *t, lathe_lossmodel *model,
                         loudness_pass *in, int *remembered)
{
    size_t size = 0, n;
    const void *data = lathe_lossmodel_data(model, &size);
    double *memo = lathe_alloc(2 * sizeof(double) + size);
    if (!memo)
        return LATHE_ERR_NOMEM;
    int rc = LATHE_OK;
    n = lathe_analyze_recall(ctx, "input", memo, 2 * sizeof(double) + size);
    if (n == 2 * sizeof(double) + size && lathe_lossmodel_load(model, memo + 2, size) == 0) {
        in->lufs = memo[0];
        in->tp_db = memo[1];
        *remembered = 1;
    } else if ((rc = lathe_loudness_render_pass(ctx, NULL, 1.0f, t, model, in)) == LATHE_OK) {
        memo[0] = in->lufs;
        memo[1] = in->tp_db;
        memcpy(memo + 2, data, size);
        lathe_analyze_remember(ctx, "input", memo, 2 * sizeof(double) + size);
    }
    lathe_dealloc(memo);
    return rc;
}

static int loudness_analyze(void *state, lathe_analyze_ctx *ctx)
{
    (void)state;
    const loudness_params *p = ctx->params;
    const lathe_format *f = lathe_stream_format(ctx->streams[0]);
    loudness_trial t = {0};
    lathe_limiter *lim = NULL;
    lathe_lossmodel *model = NULL;
    lathe_limiter_config lc = limiter_config(p, f);
    loudness_pass in = {0}, best = {0};
    int passes = 0, remembered = 0, rc = LATHE_ERR_NOMEM;
    for (int b = 0; b < 2; b++)
        for (uint32_t c = 0; c < f->channels; c++)
            if (!(t.x[b][c] = lathe_alloc(LOUDNESS_READ_FRAMES * sizeof(float))) ||
                !(t.y[b][c] = lathe_alloc(LOUDNESS_READ_FRAMES * sizeof(float))))
                goto done;
    if (ctx->threads > 1 && lathe_worker_new(&t.worker) != LATHE_OK)
        t.worker = NULL; /* one thread: slower, the same results */
    if (lathe_lossmodel_new(f->rate, f->channels, f->frames, lathe_kernel_alloc(), &model) != 0)
        goto done;
    int lrc = lathe_limiter_new(&lc, lathe_kernel_alloc(), &lim);
    if (lrc == 0 && t.worker)
        lrc = lathe_limiter_split(lim);
    if (lrc != 0) {
        rc = lathe_kernel_status(lrc);
        goto done;
    }
    for (int k = 0; k < lathe_limiter_peak_channels(lim); k++)
        if (!(t.pk.v[k] = lathe_alloc(LOUDNESS_READ_FRAMES * sizeof(float))))
            goto done;
    if ((rc = measure_input(ctx, &t, model, &in, &remembered)) != LATHE_OK)
        goto done;
    if (isnan(in.lufs)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "input is silent (below the -70 LUFS gate): no loudness to adjust");
        rc = LATHE_ERR_PARAM;
        goto done;
    }
    if ((rc = search_gain(ctx, lim, &t, model, &in, &best, &passes)) != LATHE_OK ||
        (rc = check_result(ctx, &in, &best, passes)) != LATHE_OK)
        goto done;
    double r[A_COUNT] = { best.gain_db, in.lufs, best.lufs, best.gr_max, best.gr_avg,
                          passes, in.tp_db, remembered, t.peaks_read };
    for (int i = 0; i < A_COUNT; i++)
        ctx->result[i] = r[i];
    ctx->n_result = A_COUNT;
done:
    lathe_worker_free(t.worker);
    for (int b = 0; b < 2; b++)
        for (uint32_t c = 0; c < f->channels; c++) {
            lathe_dealloc(t.x[b][c]);
            lathe_dealloc(t.y[b][c]);
        }
    for (int k = 0; k < LATHE_LIMITER_MAX_CHANNELS; k++)
        lathe_dealloc(t.pk.v[k]);
    lathe_limiter_free(lim);
    lathe_lossmodel_free(model);
    return rc;
}

static int loudness_prepare(void *state, lathe_prepare_ctx *ctx)
{
    loudness_state *s = state;
    const lathe_format *in = &ctx->in[0];
    /* While planning there is no analysis yet: prepare with unity gain, which gives the same
     * format and latency. */
    if (ctx->analysis && ctx->n_analysis < A_COUNT) {
        snprintf(ctx->err, sizeof ctx->err, "no loudness analysis");
        return LATHE_ERR_INTERNAL;
    }
    for (int i = 0; i < A_COUNT; i++)
        s->analysis[i] = ctx->analysis ? ctx->analysis[i] : 0.0;
    s->g = (float)lathe_db_to_gain(s->analysis[A_GAIN_DB]);
    s->channels = in->channels;
    lathe_limiter_config lc = limiter_config(ctx->params, in);
    int rc = lathe_limiter_new(&lc, lathe_kernel_alloc(), &s->lim);
    if (rc != 0) {
        snprintf(ctx->err, sizeof ctx->err, "unsupported format: %u Hz, %u channels", in->rate,
                 in->channels);
        return lathe_kernel_status(rc);
    }
    for (uint32_t c = 0; c < in->channels; c++)
        if (!(s->x[c] = lathe_alloc((ctx->max_out_frames ? ctx->max_out_frames : 1) * sizeof(float))))
            return LATHE_ERR_NOMEM;
    lathe_limiter_set_input_gain(s->lim, s->g, s->g);
    lathe_limiter_set_length(s->lim, in->frames);
    ctx->latency = lathe_limiter_latency(s->lim);
    return LATHE_OK;
}

static void loudness_reset(void *state)
{
    lathe_limiter_reset(((loudness_state *)state)->lim);
}

static void loudness_process(void *state, lathe_block *b)
{
    loudness_state *s = state;
    if (lathe_loudness_read_block(b->streams[0], s->x, s->channels, b->n_out) < 0)
        for (uint32_t c = 0; c < s->channels; c++)
            for (uint32_t i = 0; i < b->n_out; i++)
                s->x[c][i] = 0.0f;
    lathe_limiter_process(s->lim, (const float *const *)s->x, b->out, b->n_out, NULL);
}

static void loudness_release(void *state)
{
    loudness_state *s = state;
    lathe_limiter_free(s->lim);
    s->lim = NULL;
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++) {
        lathe_dealloc(s->x[c]);
        s->x[c] = NULL;
    }
}

static void loudness_report(void *state, lathe_report *r)
{
    const loudness_state *s = state;
    lathe_report_number(r, "gain_db", s->analysis[A_GAIN_DB]);
    lathe_report_number(r, "input_lufs", s->analysis[A_IN_LUFS]);
    lathe_report_number(r, "output_lufs", s->analysis[A_OUT_LUFS]);
    lathe_report_number(r, "gr_max_db", s->analysis[A_GR_MAX]);
    lathe_report_number(r, "gr_avg_db", s->analysis[A_GR_AVG]);
    lathe_report_number(r, "passes", s->analysis[A_PASSES]);
    lathe_report_number(r, "input_true_peak_dbtp", s->analysis[A_IN_TP]);
    /* 1: the input's loudness came from an earlier run's measurement of the same input */
    lathe_report_number(r, "input_remembered", s->analysis[A_IN_REMEMBERED]);
    /* 1: the limiter's main-stage peaks came from an earlier pass's detection (a memo) */
    lathe_report_number(r, "peaks_remembered", s->analysis[A_PEAKS_REMEMBERED]);
}

const lathe_node_desc lathe_node_loudness = {
    .name = "loudness",
    .summary = "gain + true-peak limiter to an integrated loudness target under a ceiling",
    .version = 7, /* 2: the search starts at the loss model's gain; 3: two-stage release;
                   * 4: no output true peak in the analysis; 5: limit's version 3; 6: the
                   * model calibrated on windows first; 7: the gain applied inside the limiter
                   * (its detection kept as a memo) */
    .n_inputs = 1,
    .params_size = sizeof(loudness_params),
    .params = loudness_table,
    .state_size = sizeof(loudness_state),
    .flags = LATHE_NODE_BARRIER,
    .prepare = loudness_prepare,
    .reset = loudness_reset,
    .process = loudness_process,
    .release = loudness_release,
    .analyze = loudness_analyze,
    .report = loudness_report,
};
