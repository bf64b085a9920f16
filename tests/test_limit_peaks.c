/* test_limit_peaks: the limiter's input gain and its main-stage peaks memo (limiter.h). With
 * an input gain the limiter holds the ceiling on g * x and stays within rounding of limiting a
 * pre-multiplied input; peaks detected at one gain and given back at another produce the output
 * of a fresh detection bit for bit, whenever the memo's threshold serves that gain, linked,
 * unlinked and partly linked, through process() and through the two halves. */
#include "limit_testutil.h"
#include "dsp/limiter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define BLOCK 1000 /* not a multiple of the limiter's chunk */

typedef struct run {
    tu_signal y;
    double gr_max, gr_avg;
} run;

/* Limits g * x in blocks; peaks: NULL, or n frames per gain computer kept (given 0) or given.
 * half: through front()/back() instead of process(). */
static run limit_run(const tu_signal *x, double link, float g, float g_detect, float *const *v,
                     int given, int half, double *threshold)
{
    lathe_limiter_config c = lathe_limiter_config_default(RATE, x->fmt.channels);
    c.ceiling = pow(10.0, -1.0 / 20.0);
    c.link = link;
    lathe_limiter *l;
    run r = { tu_signal_new(RATE, x->fmt.channels, x->fmt.frames), 0.0, 0.0 };
    if (lathe_limiter_new(&c, NULL, &l) != 0 || (half && lathe_limiter_split(l) != 0)) {
        CHECK(0, "limiter");
        return r;
    }
    lathe_limiter_set_input_gain(l, g, g_detect);
    if (threshold)
        *threshold = lathe_limiter_peaks_threshold(l);
    lathe_limiter_peaks pk = { .given = given };
    for (int k = 0; v && k < lathe_limiter_peak_channels(l); k++)
        pk.v[k] = v[k];
    lt_limit_blocks(l, x, &r.y, BLOCK, v ? &pk : NULL, half);
    lathe_limiter_stats(l, &r.gr_max, &r.gr_avg);
    lathe_limiter_free(l);
    return r;
}

/* A programme followed by 0.1 s of silence, so the limited output is complete (the limiter's
 * latency flushed) and ends at rest: a cut-off end would read over the ceiling on any meter. */
static tu_signal programme(int kind, double seconds, uint64_t seed)
{
    tu_signal p = lt_programme(kind, RATE, seconds, seed);
    tu_signal x = tu_signal_new(RATE, p.fmt.channels, p.fmt.frames + RATE / 10);
    for (uint32_t ch = 0; ch < p.fmt.channels; ch++)
        memcpy(x.ch[ch], p.ch[ch], p.fmt.frames * sizeof(float));
    tu_signal_free(&p);
    return x;
}

static double need_at(const tu_signal *x, double link, float g)
{
    lathe_limiter_config c = lathe_limiter_config_default(RATE, x->fmt.channels);
    c.ceiling = pow(10.0, -1.0 / 20.0);
    c.link = link;
    lathe_limiter *l;
    if (lathe_limiter_new(&c, NULL, &l) != 0)
        return 0.0;
    lathe_limiter_set_input_gain(l, g, g);
    double need = lathe_limiter_peaks_need(l);
    lathe_limiter_free(l);
    return need;
}

/* g * x limited holds the ceiling, and differs from limiting a pre-multiplied copy by rounding
 * only: the factor is rounded once instead of twice, and the detectors see x instead of x * g
 * rounded, which moves the gains by ulps (1.3e-6 at most here, -118 dBFS; allowed 1e-5). */
static void input_gain(void)
{
    tu_signal x = programme(0, 6.0, 31);
    tu_signal pre = tu_signal_new(RATE, 2, x.fmt.frames);
    const float g = (float)pow(10.0, 9.0 / 20.0);
    for (uint32_t ch = 0; ch < 2; ch++)
        for (uint64_t i = 0; i < x.fmt.frames; i++)
            pre.ch[ch][i] = x.ch[ch][i] * g;
    run a = limit_run(&x, 1.0, g, g, NULL, 0, 0, NULL);
    run b = limit_run(&pre, 1.0, 1.0f, 1.0f, NULL, 0, 0, NULL);
    double worst = 0.0;
    for (uint32_t ch = 0; ch < 2; ch++)
        for (uint64_t i = 0; i < x.fmt.frames; i++)
            worst = fmax(worst, fabs((double)a.y.ch[ch][i] - (double)b.y.ch[ch][i]));
    CHECK(lt_tp_lathe(&a.y) <= -1.0, "+9 dB as the input gain: true peak %.5f dBTP over -1",
          lt_tp_lathe(&a.y));
    CHECK(worst < 1e-5, "input gain against a pre-multiplied input: largest difference %.2e",
          worst);
    CHECK(fabs(a.gr_max - b.gr_max) < 1e-4 && a.gr_max > 3.0,
          "the reduction statistics leave the input gain out (%.4f and %.4f dB)", a.gr_max,
          b.gr_max);
    tu_signal_free(&x);
    tu_signal_free(&pre);
    tu_signal_free(&a.y);
    tu_signal_free(&b.y);
}

/* Peaks kept while limiting at one gain (detection threshold set for g_detect) and given at
 * others: bit-identical to a fresh detection at every gain the threshold serves. */
static void memo_serves(int kind, double link)
{
    tu_signal x = programme(kind, 5.0, 77 + (uint64_t)kind);
    const float g_keep = (float)pow(10.0, 4.0 / 20.0), g_detect = 4.0f; /* +12 dB */
    float *v[8] = { 0 };
    for (int k = 0; k < 2; k++)
        v[k] = calloc(x.fmt.frames, sizeof(float));
    double thr;
    run kept = limit_run(&x, link, g_keep, g_detect, v, 0, 0, &thr);
    run fresh_keep = limit_run(&x, link, g_keep, g_keep, NULL, 0, 0, NULL);
    CHECK(tu_signal_same(&kept.y, &fresh_keep.y), "kind %d link %.1f: keeping the peaks (and "
          "a lower threshold) changes nothing", kind, link);
    const double gains_db[] = { -6.0, 0.0, 4.0, 9.0, 12.0 };
    for (int i = 0; i < 5; i++) {
        float g = (float)pow(10.0, gains_db[i] / 20.0);
        CHECK(thr <= need_at(&x, link, g), "kind %d link %.1f: the memo serves %+.0f dB", kind,
              link, gains_db[i]);
        run fresh = limit_run(&x, link, g, g, NULL, 0, 0, NULL);
        for (int half = 0; half < 2; half++) {
            run given = limit_run(&x, link, g, g, v, 1, half, NULL);
            CHECK(tu_signal_same(&given.y, &fresh.y) && given.gr_avg == fresh.gr_avg,
                  "kind %d link %.1f %+.0f dB%s: the given peaks give the fresh output", kind,
                  link, gains_db[i], half ? " (halves)" : "");
            tu_signal_free(&given.y);
        }
        CHECK(lt_tp_lathe(&fresh.y) <= -1.0, "kind %d %+.0f dB: true peak %.5f dBTP", kind,
              gains_db[i], lt_tp_lathe(&fresh.y));
        tu_signal_free(&fresh.y);
    }
    for (int k = 0; k < 2; k++)
        free(v[k]);
    tu_signal_free(&x);
    tu_signal_free(&kept.y);
    tu_signal_free(&fresh_keep.y);
}

int main(void)
{
    input_gain();
    for (int kind = 0; kind < 4; kind++)
        memo_serves(kind, 1.0);
    memo_serves(2, 0.0); /* unlinked: a memo channel per channel */
    memo_serves(0, 0.5); /* partly linked: nothing skipped, threshold 0 */
    return tu_done();
}
