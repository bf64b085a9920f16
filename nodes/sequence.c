/* sequence: places whole tracks on one timeline - an album - at exact frame offsets, with
 * per-track gains, fades and crossfades, and an optional loudness plan across all tracks.
 *
 * It is a barrier: analyze() measures every input's integrated loudness (BS.1770) once, so
 * `loudness = "album"` can give every track one common gain anchored on the loudest track and
 * `loudness = "track"` can bring each to target_lufs. Being a barrier also means the engine
 * materialises the inputs and process() pulls each one only when the timeline reaches it, so no
 * delay line as long as the album is needed (a pad/mix graph would hold one per track).
 *
 * Frame positions come from the script (chains/album.lua computes them, CD sectors included):
 * starts_frames[i] is where input i's first frame lands. Starts must not decrease; inputs may
 * overlap (a crossfade); anything not covered by an input is exact digital silence. Fades are
 * complementary on the same frame grid: a fade-in of L frames has gain t(k) = k/L at its frame
 * k, a fade-out of L frames has 1 - t at the matching frame, so a crossfade (fade-out of A over
 * the first L frames of B, fade-in of B) sums to unity gain (curve equal_gain) or, with sin/cos,
 * to constant power (equal_power).
 *
 * dither_bits (16/24) reduces the word length with TPDF dither (dsp/dither.h) only where some
 * track is playing: gaps and the lead-in stay digital silence, as a CD master's gaps must. */
#include "lathe/lathe_node.h"
#include "measure/bs1770.h"
#include "dsp/dither.h"
#include "dsp/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SEQ_MAX LATHE_MAX_INPUTS
#define SEQ_READ 4096
#define SEQ_UNPLACED UINT64_MAX
#define SEQ_HALF_PI 1.57079632679489661923

static const char *const seq_curves[] = {"equal_gain", "equal_power", NULL};
static const char *const seq_modes[] = {"none", "album", "track", NULL};
enum { MODE_NONE, MODE_ALBUM, MODE_TRACK };

typedef struct seq_params {
    double starts_frames[SEQ_MAX];
    int n_starts_frames;
    double gains_db[SEQ_MAX];
    int n_gains_db;
    double fade_in_frames[SEQ_MAX];
    int n_fade_in_frames;
    double fade_out_frames[SEQ_MAX];
    int n_fade_out_frames;
    int curve;
    int loudness;
    double target_lufs;
    double length_frames;
    int dither_bits;
} seq_params;

static const lathe_param seq_table[] = {
    LATHE_NUMBERS(seq_params, starts_frames, n_starts_frames, -1.0, 1e12,
                  "timeline frame of each input's first frame (one per input, not decreasing); "
                  "-1: measured for the loudness plan but not placed (one vinyl side)"),
    LATHE_NUMBERS(seq_params, gains_db, n_gains_db, -60.0, 60.0,
                  "gain of each input (album: relative level; track: offset from the target)"),
    LATHE_NUMBERS(seq_params, fade_in_frames, n_fade_in_frames, 0.0, 1e12,
                  "fade-in length of each input in frames (0: none)"),
    LATHE_NUMBERS(seq_params, fade_out_frames, n_fade_out_frames, 0.0, 1e12,
                  "fade-out length of each input in frames (0: none)"),
    LATHE_ENUM(seq_params, curve, "equal_gain", seq_curves,
               "fade shape: equal_gain (gains sum to 1) or equal_power (squares sum to 1)"),
    LATHE_ENUM(seq_params, loudness, "none", seq_modes,
               "none: gains_db only; album: one gain, loudest track at target; track: each at target"),
    LATHE_NUMBER(seq_params, target_lufs, -14.0, -60.0, 0.0, "loudness target (album/track modes)"),
    LATHE_NUMBER(seq_params, length_frames, 0.0, 0.0, 1e12,
                 "timeline length (0: end of the last input); longer adds silence"),
    LATHE_INT(seq_params, dither_bits, 0, 0, 24, "0: float out; 16 or 24: TPDF dither where a "
              "track plays, gaps stay digital silence"),
    LATHE_PARAM_END
};

typedef struct seq_state {
    int n_in, curve, bits;
    uint32_t channels;
    uint64_t start[SEQ_MAX], len[SEQ_MAX], fin[SEQ_MAX], fout[SEQ_MAX], read[SEQ_MAX];
    double gain[SEQ_MAX], lufs[SEQ_MAX], gain_common;
    int have_analysis;
    uint64_t pos;
    float *scratch[LATHE_MAX_CHANNELS];
    lathe_dither dither;
    lathe_dither_ch dch[LATHE_MAX_CHANNELS];
    uint64_t seed[LATHE_MAX_CHANNELS];
} seq_state;

static int check_counts(const seq_params *p, int n_in, char *err, size_t n)
{
    if (n_in > SEQ_MAX || p->n_starts_frames != n_in) {
        snprintf(err, n, "starts_frames has %d entries for %d inputs (one each, at most %d)",
                 p->n_starts_frames, n_in, SEQ_MAX);
        return LATHE_ERR_PARAM;
    }
    if (p->n_gains_db > n_in || p->n_fade_in_frames > n_in || p->n_fade_out_frames > n_in) {
        snprintf(err, n, "gains_db/fade_in_frames/fade_out_frames have more entries than the "
                 "%d inputs", n_in);
        return LATHE_ERR_PARAM;
    }
    if (p->dither_bits != 0 && p->dither_bits != 16 && p->dither_bits != 24) {
        snprintf(err, n, "dither_bits %d: must be 0, 16 or 24", p->dither_bits);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

/* [main] Validates the plan against the input formats and fills the per-input layout. */
static int layout(seq_state *s, const seq_params *p, lathe_prepare_ctx *ctx)
{
    uint64_t end = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const lathe_format *f = &ctx->in[i];
        if (f->rate != ctx->in[0].rate || f->channels != ctx->in[0].channels) {
            snprintf(ctx->err, sizeof ctx->err, "input %d is %u Hz, %u channels but input 1 is "
                     "%u Hz, %u channels (resample first)", i + 1, f->rate, f->channels,
                     ctx->in[0].rate, ctx->in[0].channels);
            return LATHE_ERR_FORMAT;
        }
        s->start[i] = p->starts_frames[i] < 0.0 ? SEQ_UNPLACED : (uint64_t)p->starts_frames[i];
        s->len[i] = p->starts_frames[i] < 0.0 ? 0 : f->frames;
        s->fin[i] = i < p->n_fade_in_frames ? (uint64_t)p->fade_in_frames[i] : 0;
        s->fout[i] = i < p->n_fade_out_frames ? (uint64_t)p->fade_out_frames[i] : 0;
        s->gain[i] = i < p->n_gains_db ? p->gains_db[i] : 0.0;
        if (s->start[i] == SEQ_UNPLACED)
            continue;
        if (i > 0 && s->start[i - 1] != SEQ_UNPLACED && s->start[i] < s->start[i - 1]) {
            snprintf(ctx->err, sizeof ctx->err, "input %d starts before input %d", i + 1, i);
            return LATHE_ERR_PARAM;
        }
        if (s->fin[i] > s->len[i] || s->fout[i] > s->len[i]) {
            snprintf(ctx->err, sizeof ctx->err, "input %d: a fade is longer than the input "
                     "(%llu frames)", i + 1, (unsigned long long)s->len[i]);
            return LATHE_ERR_PARAM;
        }
        if (s->start[i] + s->len[i] > end)
            end = s->start[i] + s->len[i];
    }
    if (p->length_frames > 0.0 && (uint64_t)p->length_frames < end) {
        snprintf(ctx->err, sizeof ctx->err, "length_frames %.0f is shorter than the last input's "
                 "end (%llu)", p->length_frames, (unsigned long long)end);
        return LATHE_ERR_PARAM;
    }
    ctx->out = ctx->in[0];
    ctx->out.frames = p->length_frames > 0.0 ? (uint64_t)p->length_frames : end;
    return LATHE_OK;
}

/* [main] Per-input linear gains from the measured loudness and the mode. */
static void plan_gains(seq_state *s, const seq_params *p)
{
    double loudest = -INFINITY;
    for (int i = 0; i < s->n_in; i++)
        if (!isnan(s->lufs[i]) && s->lufs[i] + s->gain[i] > loudest)
            loudest = s->lufs[i] + s->gain[i];
    s->gain_common = 0.0;
    if (p->loudness == MODE_ALBUM && isfinite(loudest))
        s->gain_common = p->target_lufs - loudest;
    for (int i = 0; i < s->n_in; i++) {
        double db = s->gain[i] + s->gain_common;
        if (p->loudness == MODE_TRACK && !isnan(s->lufs[i]))
            db = p->target_lufs + s->gain[i] - s->lufs[i];
        s->gain[i] = db;
    }
}

static int seq_prepare(void *state, lathe_prepare_ctx *ctx)
{
    seq_state *s = state;
    const seq_params *p = ctx->params;
    int rc = check_counts(p, ctx->n_in, ctx->err, sizeof ctx->err);
    if (rc == LATHE_OK)
        rc = layout(s, p, ctx);
    if (rc != LATHE_OK)
        return rc;
    s->n_in = ctx->n_in;
    s->curve = p->curve;
    s->bits = p->dither_bits;
    s->channels = ctx->in[0].channels;
    if (!ctx->analysis)
        return LATHE_OK; /* planning: the format is all that is asked */
    if (ctx->n_analysis < s->n_in) {
        snprintf(ctx->err, sizeof ctx->err, "no loudness analysis");
        return LATHE_ERR_INTERNAL;
    }
    for (int i = 0; i < s->n_in; i++)
        s->lufs[i] = ctx->analysis[i];
    s->have_analysis = 1;
    plan_gains(s, p);
    for (int i = 0; i < s->n_in; i++)
        s->gain[i] = lathe_db_to_gain(s->gain[i]);
    for (uint32_t c = 0; c < s->channels; c++) {
        s->scratch[c] = lathe_alloc(sizeof(float) * (ctx->max_out_frames ? ctx->max_out_frames : 1));
        if (!s->scratch[c])
            return LATHE_ERR_NOMEM;
        s->seed[c] = lathe_rng_substream(ctx->seed, c);
    }
    if (s->bits)
        lathe_dither_init(&s->dither, s->bits, LATHE_DITHER_FLAT);
    return LATHE_OK;
}

static void seq_reset(void *state)
{
    seq_state *s = state;
    s->pos = 0;
    memset(s->read, 0, sizeof s->read);
    memset(s->dch, 0, sizeof s->dch);
}

/* Gain of input i at its own frame j: fixed gain times the fade-in and fade-out curves. */
static double fade_gain(const seq_state *s, int i, uint64_t j)
{
    double g = s->gain[i];
    if (j < s->fin[i]) {
        double t = (double)j / (double)s->fin[i];
        g *= s->curve ? sin(SEQ_HALF_PI * t) : t;
    }
    uint64_t from = s->len[i] - s->fout[i];
    if (s->fout[i] && j >= from) {
        double t = (double)(j - from) / (double)s->fout[i];
        g *= s->curve ? cos(SEQ_HALF_PI * t) : 1.0 - t;
    }
    return g;
}

/* [rt] Adds input i's part of the block [pos, pos + n) to out. */
static void add_input(seq_state *s, lathe_block *b, int i, uint32_t n)
{
    if (s->start[i] == SEQ_UNPLACED)
        return;
    uint64_t lo = s->start[i] > s->pos ? s->start[i] : s->pos;
    uint64_t end = s->start[i] + s->len[i], hi = s->pos + n < end ? s->pos + n : end;
    if (hi <= lo)
        return;
    uint32_t want = (uint32_t)(hi - lo), got = 0;
    while (got < want) {
        float *bufs[LATHE_MAX_CHANNELS];
        for (uint32_t c = 0; c < s->channels; c++)
            bufs[c] = s->scratch[c] + got;
        long r = lathe_stream_read(b->streams[i], bufs, want - got);
        if (r <= 0)
            break; /* a short stream reads as silence */
        got += (uint32_t)r;
    }
    uint64_t j0 = lo - s->start[i];
    int plain = j0 >= s->fin[i] && j0 + got <= s->len[i] - s->fout[i];
    for (uint32_t c = 0; c < s->channels; c++) {
        float *y = b->out[c] + (lo - s->pos);
        const float *x = s->scratch[c];
        if (plain) {
            const double g = s->gain[i];
            for (uint32_t k = 0; k < got; k++)
                y[k] = (float)((double)y[k] + g * (double)x[k]);
        } else {
            for (uint32_t k = 0; k < got; k++)
                y[k] = (float)((double)y[k] + fade_gain(s, i, j0 + k) * (double)x[k]);
        }
    }
    s->read[i] += got;
}

/* [rt] Dithers the frames of [pos, pos + n) that some input covers, run by run. */
static void dither_active(seq_state *s, lathe_block *b, uint32_t n)
{
    uint64_t at = s->pos, stop = s->pos + n;
    for (int i = 0; i < s->n_in && at < stop; i++) {
        if (s->start[i] == SEQ_UNPLACED)
            continue;
        uint64_t lo = s->start[i] > at ? s->start[i] : at;
        uint64_t end = s->start[i] + s->len[i], hi = end < stop ? end : stop;
        if (hi <= lo)
            continue;
        for (uint32_t c = 0; c < s->channels; c++) {
            float *y = b->out[c] + (lo - s->pos);
            lathe_dither_process(&s->dither, &s->dch[c], s->seed[c], lo, y, y, (uint32_t)(hi - lo));
        }
        at = hi;
    }
}

static void seq_process(void *state, lathe_block *b)
{
    seq_state *s = state;
    uint32_t n = b->n_out;
    for (uint32_t c = 0; c < s->channels; c++)
        memset(b->out[c], 0, sizeof(float) * n);
    for (int i = 0; i < s->n_in; i++)
        add_input(s, b, i, n);
    if (s->bits)
        dither_active(s, b, n);
    s->pos += n;
}

static void seq_release(void *state)
{
    seq_state *s = state;
    for (uint32_t c = 0; c < LATHE_MAX_CHANNELS; c++)
        lathe_dealloc(s->scratch[c]);
}

/* [main] Integrated loudness of one materialised input (NaN when below the gate). */
static int measure(lathe_stream *st, double *lufs, char *err, size_t n_err)
{
    const lathe_format *f = lathe_stream_format(st);
    float *buf[LATHE_MAX_CHANNELS] = {0};
    lathe_bs1770 *m = NULL;
    int rc = lathe_bs1770_new(f->rate, f->channels, &m);
    for (uint32_t c = 0; rc == LATHE_OK && c < f->channels; c++)
        if (!(buf[c] = lathe_alloc(sizeof(float) * SEQ_READ)))
            rc = LATHE_ERR_NOMEM;
    if (rc == LATHE_OK)
        rc = lathe_stream_rewind(st);
    long got;
    while (rc == LATHE_OK && (got = lathe_stream_read(st, buf, SEQ_READ)) != 0) {
        if (got < 0) {
            snprintf(err, n_err, "input could not be read");
            rc = LATHE_ERR_IO;
            break;
        }
        lathe_bs1770_add(m, (const float *const *)buf, (uint32_t)got);
    }
    if (rc == LATHE_OK) {
        double v = lathe_bs1770_integrated(m);
        *lufs = isfinite(v) ? v : (double)NAN;
        rc = lathe_stream_rewind(st);
    }
    for (uint32_t c = 0; c < LATHE_MAX_CHANNELS; c++)
        lathe_dealloc(buf[c]);
    lathe_bs1770_free(m);
    return rc;
}

static int seq_analyze(void *state, lathe_analyze_ctx *ctx)
{
    (void)state;
    const seq_params *p = ctx->params;
    if (ctx->n_in > LATHE_ANALYSIS_MAX)
        return LATHE_ERR_PARAM;
    for (int i = 0; i < ctx->n_in; i++) {
        ctx->result[i] = (double)NAN;
        if (p->loudness == MODE_NONE)
            continue; /* nothing to measure */
        int rc = measure(ctx->streams[i], &ctx->result[i], ctx->err, sizeof ctx->err);
        if (rc != LATHE_OK)
            return rc;
    }
    ctx->n_result = ctx->n_in;
    return LATHE_OK;
}

static void seq_report(void *state, lathe_report *r)
{
    const seq_state *s = state;
    if (!s->have_analysis)
        return;
    char key[32];
    lathe_report_number(r, "album_gain_db", s->gain_common);
    for (int i = 0; i < s->n_in; i++) {
        snprintf(key, sizeof key, "track%02d_input_lufs", i + 1);
        if (!isnan(s->lufs[i]))
            lathe_report_number(r, key, s->lufs[i]);
        snprintf(key, sizeof key, "track%02d_gain_db", i + 1);
        lathe_report_number(r, key, lathe_gain_to_db(s->gain[i]));
        snprintf(key, sizeof key, "track%02d_start_frame", i + 1);
        lathe_report_number(r, key, (double)s->start[i]);
    }
}

const lathe_node_desc lathe_node_sequence = {
    .name = "sequence",
    .summary = "places tracks on one timeline at exact frames: gains, fades, crossfades, album "
               "or track loudness, dither that keeps gaps digitally silent",
    .version = 1,
    .n_inputs = LATHE_VARIADIC,
    .params_size = sizeof(seq_params),
    .params = seq_table,
    .state_size = sizeof(seq_state),
    .flags = LATHE_NODE_BARRIER,
    .prepare = seq_prepare,
    .reset = seq_reset,
    .process = seq_process,
    .release = seq_release,
    .analyze = seq_analyze,
    .report = seq_report,
};
