/* test_gaincomp: the limiter's gain computer (nodes/dsp/gaincomp.h) against the same arithmetic
 * written frame by frame, with plain minima over the held windows. The computer takes shortcuts
 * that must not change one bit: sliding minima (slidemin.h), no work at all while it idles at
 * unity, and no held windows while it releases with every requirement at 1. Requirements with
 * long stretches of exactly 1 between dips, in random block sizes, reach all three. */
#include "dsp/gaincomp.h"
#include "dsp/limiter.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 60000

typedef struct reference {
    uint32_t win, bridge, len;
    double full, none; /* the bridge's full and none depths as gains */
    double env, slow, box_sum, fresh;
    double *box;
    uint32_t box_pos;
} reference;

static double held_min(const double *v, uint64_t i, uint32_t win)
{
    double m = INFINITY;
    for (uint64_t j = i + 1 > win ? i + 1 - win : 0; j <= i; j++)
        m = v[j] < m ? v[j] : m;
    return m;
}

static double snap(double e)
{
    return e > 1.0 - 1e-12 ? 1.0 : e;
}

/* gaincomp.c's loop as written there, one frame at a time. */
static double reference_step(reference *f, const lathe_release *r, const double *req,
                             const double *req_bridge, uint64_t i)
{
    const double full = f->full, none = f->none;
    double h = held_min(req, i, f->win);
    if (f->bridge) {
        double b = held_min(req_bridge, i, f->win + f->bridge);
        b = b < h ? b : h;
        double w = (b - none) / (full - none);
        h += (b - h) * (w >= 1.0 ? 1.0 : w <= 0.0 ? 0.0 : w);
    }
    double e = snap(f->env + (1.0 - f->env) * (r->two_stage ? r->a_fast : r->a_rel));
    f->env = e < h ? e : h;
    double gain = f->env;
    if (r->two_stage) {
        double a = f->env < f->slow ? r->a_slow_att : r->a_rel;
        f->slow = snap(f->slow + (f->env - f->slow) * a);
        gain = f->slow < gain ? f->slow : gain;
    }
    f->box_sum += gain - f->box[f->box_pos];
    f->box[f->box_pos] = gain;
    f->fresh += gain;
    if (++f->box_pos == f->len) {
        f->box_pos = 0;
        f->box_sum = f->fresh;
        f->fresh = 0.0;
    }
    double o = f->box_sum * (1.0 / f->len);
    return o < 1.0 ? o : 1.0;
}

/* Dips of a few frames to a few hundred, between stretches of 1 long enough for the computer
 * to release fully and idle (the box, the windows and 0.55 s of envelope), or not. */
static void requirements(double *req, double *req_bridge, uint64_t *seed)
{
    uint64_t i = 0;
    while (i < N) {
        uint64_t ones = tu_rand(seed) > 0.0 ? 200 + (uint64_t)((tu_rand(seed) + 1.0) * 10000)
                                            : (uint64_t)((tu_rand(seed) + 1.0) * 150);
        for (uint64_t k = 0; k < ones && i < N; k++, i++)
            req[i] = req_bridge[i] = 1.0;
        uint64_t dip = 1 + (uint64_t)((tu_rand(seed) + 1.0) * 200);
        for (uint64_t k = 0; k < dip && i < N; k++, i++) {
            req[i] = 0.3 + 0.35 * (tu_rand(seed) + 1.0);
            req_bridge[i] = req[i] + (1.0 - req[i]) * 0.5 * (tu_rand(seed) + 1.0);
        }
    }
}

static void run(uint32_t win, uint32_t bridge, uint32_t len, int two_stage, uint64_t seed)
{
    static double req[N], req_bridge[N], out[N];
    requirements(req, req_bridge, &seed);
    const lathe_release r = {.a_rel = 1.0 - exp(-1.0 / 100.0), .a_fast = 1.0 - exp(-1.0 / 20.0),
                             .a_slow_att = 1.0 - exp(-1.0 / 50.0), .two_stage = two_stage};
    lathe_dsp_alloc al = lathe_dsp_alloc_or_default(NULL);
    lathe_gaincomp g;
    CHECK(lathe_gaincomp_init(&g, win, bridge, len, &al) == 0, "init");
    lathe_gaincomp_reset(&g);
    for (uint64_t i = 0; i < N;) { /* blocks of 1 .. 700 frames, in place as the limiter runs */
        uint32_t k = 1 + (uint32_t)((tu_rand(&seed) + 1.0) * 349.5);
        k = k < N - i ? k : (uint32_t)(N - i);
        double *blk = out + i, *bridged = NULL;
        static double rb[700];
        memcpy(blk, req + i, k * sizeof(double));
        if (bridge) {
            memcpy(rb, req_bridge + i, k * sizeof(double));
            bridged = rb;
        }
        lathe_gaincomp_run(&g, &r, blk, bridged, blk, k);
        i += k;
    }
    reference f = {win, bridge, len, pow(10.0, -LATHE_LIMITER_BRIDGE_FULL_DB / 20.0),
                   pow(10.0, -LATHE_LIMITER_BRIDGE_NONE_DB / 20.0), 1.0, 1.0, (double)len, 0.0,
                   calloc(len, sizeof(double)), 0};
    for (uint32_t j = 0; j < len; j++)
        f.box[j] = 1.0;
    uint64_t differ = 0, first = N, below = 0;
    for (uint64_t i = 0; i < N; i++) {
        double want = reference_step(&f, &r, req, req_bridge, i);
        if (memcmp(&want, &out[i], sizeof want) != 0 && differ++ == 0)
            first = i;
        below += out[i] < 1.0;
    }
    CHECK(differ == 0, "win %u bridge %u len %u%s: %llu frames differ from the frame-by-frame "
          "arithmetic (first %llu)", win, bridge, len, two_stage ? ", two-stage" : "",
          (unsigned long long)differ, (unsigned long long)first);
    CHECK(below > N / 20 && below < N - N / 20, "the gains both dip and rest at 1 (%llu below)",
          (unsigned long long)below);
    free(f.box);
    lathe_gaincomp_fini(&g, &al);
}

int main(void)
{
    run(40, 0, 16, 0, 1);     /* one envelope, no bridge */
    run(40, 0, 16, 1, 2);     /* two-stage release: a safety stage's computer */
    run(136, 240, 96, 1, 3);  /* bridged: a main stage's */
    run(7, 3, 1, 1, 4);       /* the smallest windows and box */
    return tu_done();
}
