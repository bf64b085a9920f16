/* loudness_pass.c - the loudness node's trial passes (see loudness_pass.h). */
#include "loudness_pass.h"

#include "measure/bs1770.h"
#include "dsp/truepeak.h"
#include "measure/kernel_host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

_Static_assert(LOUDNESS_READ_FRAMES <= LATHE_LIMITER_SPLIT_MAX, "a block fits a limiter slot");

long lathe_loudness_read_block(lathe_stream *st, float *const *x, uint32_t channels, uint32_t n)
{
    long got = lathe_stream_read(st, x, n);
    if (got < 0)
        return got;
    for (uint32_t c = 0; c < channels; c++)
        for (uint32_t i = (uint32_t)got; i < n; i++)
            x[c][i] = 0.0f;
    return got;
}

/* The second half of one block: with a worker, the limiter's back half (slot `slot`, into y);
 * the limited frames past the latency into the loudness meter (m NULL: the output file's
 * meters, lathe_analyze_output_loudness) and the candidate output; the
 * plain input into the true-peak meter and the loss model (its loudness meter is fed by the
 * reading thread). */
typedef struct block_job {
    lathe_analyze_ctx *ctx;
    lathe_limiter *back; /* NULL: the reading thread ran the whole limiter */
    float *const *y;
    int slot;
    lathe_bs1770 *m;
    lathe_truepeak *tp;
    lathe_lossmodel *model;
    const float *in[LATHE_MAX_CHANNELS], *out[LATHE_MAX_CHANNELS];
    uint32_t n_in, n_out, limited, tp_from; /* tp measures channels tp_from.. */
} block_job;

static void measure_block(void *arg)
{
    block_job *j = arg;
    if (j->back)
        lathe_limiter_back(j->back, j->slot, j->y, NULL);
    if (j->limited && j->n_out) {
        if (j->m) /* NULL: the output file's meters measure these frames */
            lathe_bs1770_add(j->m, j->out, j->n_out);
        lathe_analyze_output_write(j->ctx, j->out, j->n_out);
    }
    if (j->tp)
        lathe_truepeak_add(j->tp, j->in + j->tp_from, j->n_in);
    if (j->model)
        lathe_lossmodel_add(j->model, j->in, j->n_in);
}

/* The memo's tag for the limiter's current detection threshold (the peaks depend on it below
 * the threshold, and on nothing else beyond the input and this node's version); returns it. */
static double peaks_tag(const lathe_limiter *lim, uint32_t ch, char tag[64])
{
    double thr = lathe_limiter_peaks_threshold(lim);
    snprintf(tag, 64, "limiter peaks %a, %u", thr, ch);
    return thr;
}

/* A kept memo of the limiter's peaks that serves gain g (see peaks_memo below), NULL when none;
 * sets the limiter's input gain (to g and the memo's detection step) and pk's `given` and
 * `threshold`. */
static lathe_analyze_memo *open_peaks_memo(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                                           uint64_t frames, lathe_limiter_peaks *pk)
{
    const uint32_t ch = (uint32_t)lathe_limiter_peak_channels(lim);
    const int k0 = (int)ceil(log2((double)g));
    char tag[64];
    lathe_analyze_memo *m = NULL;
    static const int steps[] = { 1, 0, 2, 3 }; /* the step a pass like this one keeps first */
    for (int i = 0; i < 4 && !m; i++) {
        lathe_limiter_set_input_gain(lim, g, (float)ldexp(1.0, k0 + steps[i]));
        pk->threshold = peaks_tag(lim, ch, tag);
        if (pk->threshold <= lathe_limiter_peaks_need(lim))
            m = lathe_analyze_memo_open(ctx, tag, ch, frames);
    }
    pk->given = m != NULL;
    return m;
}

/* The limiter's main-stage peaks of the input do not depend on the gain (limiter.h), so they
 * are kept in the cache: the next pass, or a run with a new target, reads them instead of
 * detecting. A memo serves the gains its detection threshold was set for. One is built for the
 * gain one step above the pass's on a ladder of 6 dB steps (k0: the pass's step), so it serves
 * passes at least 6 dB louder; a pass looks for one at its own step or up to three above, so it
 * also finds those built for passes at least 12 dB louder than itself. Sets the limiter's input
 * gain, and pk's `given` and `threshold`. */
static lathe_analyze_memo *peaks_memo(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                                      uint64_t frames, lathe_limiter_peaks *pk)
{
    const uint32_t ch = (uint32_t)lathe_limiter_peak_channels(lim);
    const int k0 = (int)ceil(log2((double)g));
    char tag[64];
    lathe_analyze_memo *m = open_peaks_memo(ctx, lim, g, frames, pk);
    if (m)
        return m;
    lathe_limiter_set_input_gain(lim, g, (float)ldexp(1.0, k0 + 1));
    peaks_tag(lim, ch, tag);
    m = lathe_analyze_memo_create(ctx, tag, ch);
    if (!m)
        lathe_limiter_set_input_gain(lim, g, g); /* nowhere to keep it: skip the most */
    return m;
}

#define MEMO_FAILED 1 /* render_pass_once: a given memo could not be read */

/* One trial pass (see loudness_pass.h); use_memo 0: the limiter detects, keeping nothing. */
static int render_pass_once(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                            loudness_trial *t, lathe_lossmodel *model, loudness_pass *out,
                            int use_memo)
{
    lathe_stream *st = ctx->streams[0];
    const lathe_format *f = lathe_stream_format(st);
    lathe_bs1770 *m = NULL;
    lathe_truepeak *tp = NULL, *tp_here = NULL;
    block_job job[2];
    lathe_analyze_memo *memo = NULL;
    int rc = LATHE_ERR_NOMEM;
    /* The input's pass with a worker: its true peak costs several times the loudness meter the
     * reading thread runs, so that thread measures the first half of the channels' true peak and
     * the worker the rest (a channel's true peak depends on that channel alone: the maximum over
     * the two meters is the one meter's, to the bit). */
    const uint32_t here = !lim && t->worker ? f->channels / 2 : 0;
    if ((!lim && lathe_truepeak_new(f->rate, f->channels - here, lathe_kernel_alloc(), &tp)) ||
        (here && lathe_truepeak_new(f->rate, here, lathe_kernel_alloc(), &tp_here)))
        goto done;
    if ((rc = lathe_stream_rewind(st)) != LATHE_OK)
        goto done;
    uint64_t lat = lim ? lathe_limiter_latency(lim) : 0, total = f->frames + lat, done = 0;
    if (lim) {
        lathe_limiter_reset(lim);
        lathe_limiter_set_length(lim, f->frames);
        lathe_analyze_output_begin(ctx); /* this pass may turn out to be the output */
        if (use_memo)
            memo = peaks_memo(ctx, lim, g, total, &t->pk);
        else
            lathe_limiter_set_input_gain(lim, g, g);
    }
    const lathe_limiter_peaks *pk = memo ? &t->pk : NULL;
    /* a pass written as the output file is metered by the file's analysis: no meter of its own */
    double hosted_lufs;
    const int hosted = lim && lathe_analyze_output_loudness(ctx, &hosted_lufs);
    if (!hosted && (lathe_bs1770_new(f->rate, f->channels, &m) != 0 ||
                    lathe_bs1770_reserve(m, f->frames) != 0)) {
        rc = LATHE_ERR_NOMEM;
        goto done;
    }
    for (unsigned b = 0; done < total; b ^= 1) {
        uint32_t n = total - done < LOUDNESS_READ_FRAMES ? (uint32_t)(total - done)
                                                         : LOUDNESS_READ_FRAMES;
        float *const *x = t->x[b], *const *y = t->y[b];
        if (lathe_loudness_read_block(st, x, f->channels, n) < 0) {
            rc = LATHE_ERR_IO;
            goto done;
        }
        if (pk && pk->given && lathe_analyze_memo_read(memo, pk->v, n) != LATHE_OK) {
            rc = MEMO_FAILED;
            goto done;
        }
        int split = lim && t->worker; /* the limiter's halves on the two threads */
        if (split)
            lathe_limiter_front_peaks(lim, (const float *const *)x, n, (int)b, pk);
        else if (lim)
            lathe_limiter_process_peaks(lim, (const float *const *)x, y, n, NULL, pk);
        else
            lathe_bs1770_add(m, (const float *const *)x, n);
        if (tp_here)
            lathe_truepeak_add(tp_here, (const float *const *)x, n);
        if (pk && !pk->given)
            lathe_analyze_memo_append(memo, (const float *const *)pk->v, n);
        uint32_t skip = done >= lat ? 0 : (uint32_t)(lat - done < n ? lat - done : n);
        block_job *j = &job[b];
        *j = (block_job){ .ctx = ctx, .back = split ? lim : NULL, .y = y, .slot = (int)b,
                          .m = m, .tp = tp, .model = model, .n_in = n,
                          .n_out = n - skip, .limited = lim != NULL, .tp_from = here };
        for (uint32_t c = 0; c < f->channels; c++) {
            j->in[c] = x[c];
            j->out[c] = (lim ? y[c] : x[c]) + skip;
        }
        if (t->worker)
            lathe_worker_run(t->worker, measure_block, j); /* after the previous block's */
        else
            measure_block(j);
        done += n;
    }
    if (t->worker)
        lathe_worker_wait(t->worker);
    /* hosted: the same frames through the same meter, in the output file's analysis */
    if (hosted && !lathe_analyze_output_loudness(ctx, &out->lufs)) {
        rc = LATHE_ERR_IO; /* the file's writer failed (its error is the render's) */
        goto done;
    }
    if (!hosted)
        out->lufs = lathe_bs1770_integrated(m);
    out->tp_db = tp ? lathe_gain_to_db(fmax(lathe_truepeak_max(tp),
                                            tp_here ? lathe_truepeak_max(tp_here) : 0.0))
                    : (double)NAN;
    out->gr_max = out->gr_avg = 0.0;
    if (lim)
        lathe_limiter_stats(lim, &out->gr_max, &out->gr_avg);
done:
    if (t->worker)
        lathe_worker_wait(t->worker); /* the jobs point into this frame */
    t->peaks_read |= rc == LATHE_OK && memo && t->pk.given;
    if (memo && t->pk.given)
        lathe_analyze_memo_close(memo);
    else
        lathe_analyze_memo_finish(memo, rc == LATHE_OK);
    lathe_bs1770_free(m);
    lathe_truepeak_free(tp);
    lathe_truepeak_free(tp_here);
    return rc;
}

int lathe_loudness_render_pass(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                               loudness_trial *t, lathe_lossmodel *model, loudness_pass *out)
{
    int rc = render_pass_once(ctx, lim, g, t, model, out, 1);
    /* a memo found whole but unreadable later (a disk error): the pass again, detecting */
    return rc == MEMO_FAILED ? render_pass_once(ctx, lim, g, t, model, out, 0) : rc;
}

/* Frames [a, b) of x (whose frame 0 is stream frame pos) into meter m; times g through
 * scratch (the same layout as x) when g is not 1: the limiter takes the gain as its input gain,
 * the input's meter needs the gained samples of the windows only. */
static void meter_range(lathe_bs1770 *m, float *const *x, float *const *scratch, float g,
                        uint32_t channels, uint64_t pos, uint64_t a, uint64_t b)
{
    const float *v[LATHE_MAX_CHANNELS];
    if (a >= b)
        return;
    for (uint32_t c = 0; c < channels; c++) {
        v[c] = x[c] + (a - pos);
        if (g != 1.0f) {
            float *d = scratch[c] + (a - pos);
            for (uint64_t k = 0; k < b - a; k++)
                d[k] = v[c][k] * g;
            v[c] = d;
        }
    }
    lathe_bs1770_add(m, v, (uint32_t)(b - a));
}

/* The windows (see lathe_loudness_render_windows); use_memo 0: the limiter detects. The main
 * stage's detection sees every frame from the start, the frames between windows fed to it
 * only, and each window's gains start from rest: so its peaks are the ones a whole pass keeps,
 * and a kept memo gives them instead (the same output: limiter.h, reset_gains), when the
 * frames between windows are not even read. */
static int windows_once(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g, loudness_trial *t,
                        const lathe_lossmodel_window *w, int n, double *loss, int use_memo)
{
    lathe_stream *st = ctx->streams[0];
    const lathe_format *f = lathe_stream_format(st);
    const uint64_t lat = lathe_limiter_latency(lim), total = w[n - 1].end + lat;
    lathe_bs1770 *m_in = NULL, *m_out = NULL;
    lathe_analyze_memo *memo = NULL;
    int rc = LATHE_ERR_NOMEM, i = 0;
    if (lathe_bs1770_new(f->rate, f->channels, &m_in) != 0 ||
        lathe_bs1770_new(f->rate, f->channels, &m_out) != 0 ||
        lathe_bs1770_reserve(m_in, (uint64_t)n * (w[0].end - w[0].start)) != 0 ||
        lathe_bs1770_reserve(m_out, (uint64_t)n * (w[0].end - w[0].start)) != 0)
        goto done;
    rc = lathe_stream_rewind(st);
    if (use_memo)
        memo = open_peaks_memo(ctx, lim, g, f->frames + lat, &t->pk);
    if (!memo)
        lathe_limiter_set_input_gain(lim, g, g);
    lathe_limiter_reset(lim);
    for (uint64_t pos = 0; rc == LATHE_OK && pos < total && i < n;) {
        if (memo && pos < w[i].warm) { /* the frames before the window feed nothing: skipped */
            pos = w[i].warm < f->frames ? w[i].warm : f->frames;
            if ((rc = lathe_stream_seek(st, pos)) != LATHE_OK)
                break;
            if (lathe_analyze_memo_seek(memo, pos) != LATHE_OK) {
                rc = MEMO_FAILED;
                break;
            }
        }
        uint32_t len = total - pos < LOUDNESS_READ_FRAMES ? (uint32_t)(total - pos)
                                                          : LOUDNESS_READ_FRAMES;
        float *const *x = t->x[0], *const *y = t->y[0];
        if (lathe_loudness_read_block(st, x, f->channels, len) < 0) {
            rc = LATHE_ERR_IO;
            break;
        }
        if (memo && lathe_analyze_memo_read(memo, t->pk.v, len) != LATHE_OK) {
            rc = MEMO_FAILED;
            break;
        }
        for (uint64_t at = pos; at < pos + len && i < n;) { /* the windows in this block */
            const float *xs[LATHE_MAX_CHANNELS];
            float *ys[LATHE_MAX_CHANNELS];
            for (uint32_t c = 0; c < f->channels; c++) {
                xs[c] = x[c] + (at - pos);
                ys[c] = y[c] + (at - pos);
            }
            uint64_t end = w[i].end + lat, e = pos + len < end ? pos + len : end;
            if (at < w[i].warm) { /* between windows: the detection's history only */
                e = pos + len < w[i].warm ? pos + len : w[i].warm;
                if (!memo)
                    lathe_limiter_feed(lim, xs, (uint32_t)(e - at));
                at = e;
                continue;
            }
            if (at == w[i].warm)
                lathe_limiter_reset_gains(lim);
            lathe_limiter_peaks view = t->pk;
            for (int k = 0; memo && k < lathe_limiter_peak_channels(lim); k++)
                view.v[k] = t->pk.v[k] + (at - pos);
            lathe_limiter_process_peaks(lim, xs, ys, (uint32_t)(e - at), NULL,
                                        memo ? &view : NULL);
            /* output frame k is input frame k - lat */
            meter_range(m_in, x, t->x[1], g, f->channels, pos, at > w[i].start ? at : w[i].start,
                        e < w[i].end ? e : w[i].end);
            meter_range(m_out, y, NULL, 1.0f, f->channels, pos,
                        at > w[i].start + lat ? at : w[i].start + lat, e);
            at = e;
            i += e == end;
        }
        pos += len;
    }
    *loss = lathe_bs1770_integrated(m_in) - lathe_bs1770_integrated(m_out);
done:
    lathe_analyze_memo_close(memo);
    lathe_bs1770_free(m_in);
    lathe_bs1770_free(m_out);
    return rc;
}

int lathe_loudness_render_windows(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                                  loudness_trial *t, const lathe_lossmodel_window *w, int n,
                                  double *loss)
{
    int rc = windows_once(ctx, lim, g, t, w, n, loss, 1);
    return rc == MEMO_FAILED ? windows_once(ctx, lim, g, t, w, n, loss, 0) : rc;
}
