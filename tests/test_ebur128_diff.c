/* test_ebur128_diff.c - differential test against libebur128 on programme-like signals: pink-ish
 * stereo noise with level envelopes (sections, ramps, pauses), 30-120 s. Integrated loudness must
 * agree within 0.01 LU and LRA within 0.1 LU (computed, like libebur128, from one short-term
 * value per second; our reported LRA uses the EBU 10 Hz rate, which differs on short signals); our true peak (8x) must never read below
 * libebur128's (4x) by more than 0.05 dB nor above the sample peak by an impossible amount. */
#include "measure/bs1770.h"
#include "testutil.h"
#include "dsp/truepeak.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef LATHE_HAVE_EBUR128
#include <ebur128.h>

#define BLOCK 4096

typedef struct pink {
    double b0, b1, b2;
} pink;

/* Pink-ish noise: three one-pole low-passes of white noise (Kellet's economy filter). */
static double pink_next(pink *p, uint64_t *rng)
{
    double w = tu_rand(rng);
    p->b0 = 0.99765 * p->b0 + w * 0.0990460;
    p->b1 = 0.96300 * p->b1 + w * 0.2965164;
    p->b2 = 0.57000 * p->b2 + w * 1.0526913;
    return (p->b0 + p->b1 + p->b2 + w * 0.1848) * 0.18;
}

/* Level envelope target in dB at time t: sections of 2-9 s at random levels between -30 and
 * -4 dB, with an occasional near-silent pause (which the gates must remove). The caller smooths
 * it into ramps. */
typedef struct env {
    double t_end, db;
} env;

static double env_next_db(env *e, double t, uint64_t *rng)
{
    while (t >= e->t_end) {
        double u = 0.5 + 0.5 * tu_rand(rng);
        e->db = u < 0.1 ? -90.0 : -30.0 + 26.0 * (0.5 + 0.5 * tu_rand(rng));
        e->t_end += 2.0 + 7.0 * (0.5 + 0.5 * tu_rand(rng));
    }
    return e->db;
}

static void run_signal(uint32_t rate, double seconds, uint64_t seed)
{
    ebur128_state *st = ebur128_init(2, rate, EBUR128_MODE_I | EBUR128_MODE_LRA |
                                                  EBUR128_MODE_TRUE_PEAK);
    lathe_bs1770 *m = NULL;
    lathe_truepeak *tp = NULL;
    lathe_bs1770_new(rate, 2, &m);
    lathe_truepeak_new(rate, 2, NULL, &tp);
    static float l[BLOCK], r[BLOCK], inter[2 * BLOCK];
    pink pa = {0}, pb = {0};
    env e = {0.0, -20.0};
    uint64_t rng = seed, total = (uint64_t)(seconds * rate), n = 0;
    double level_db = -20.0, smooth = exp(-1.0 / (0.3 * rate)), spk = 0.0;
    while (n < total) {
        uint32_t k = total - n < BLOCK ? (uint32_t)(total - n) : BLOCK;
        for (uint32_t i = 0; i < k; i++) {
            double target = env_next_db(&e, (double)(n + i) / rate, &rng);
            level_db = target + (level_db - target) * smooth; /* ramps between sections */
            double g = pow(10.0, level_db / 20.0);
            double common = pink_next(&pa, &rng), side = pink_next(&pb, &rng);
            l[i] = (float)(g * (common + 0.4 * side));
            r[i] = (float)(g * (common - 0.4 * side));
            inter[2 * i] = l[i];
            inter[2 * i + 1] = r[i];
            spk = fmax(spk, fmax(fabs((double)l[i]), fabs((double)r[i])));
        }
        const float *ch[2] = {l, r};
        lathe_bs1770_add(m, ch, k);
        lathe_truepeak_add(tp, ch, k);
        ebur128_add_frames_float(st, inter, k);
        n += k;
    }
    double ri = 0.0, rl = 0.0, rp0 = 0.0, rp1 = 0.0;
    ebur128_loudness_global(st, &ri);
    ebur128_loudness_range(st, &rl);
    ebur128_true_peak(st, 0, &rp0);
    ebur128_true_peak(st, 1, &rp1);
    double mi = lathe_bs1770_integrated(m), ml = lathe_bs1770_lra_stride(m, 10);
    double ebu = lathe_bs1770_lra(m);
    double mp = 20.0 * log10(lathe_truepeak_max(tp)), rp = 20.0 * log10(fmax(rp0, rp1));
    printf("  %u Hz %.0f s: I %.4f vs %.4f (d %+.5f), LRA(1 s hop) %.3f vs %.3f (d %+.3f), "
           "LRA(EBU 100 ms) %.3f, TP %.3f vs %.3f dBTP, sample peak %.3f\n",
           (unsigned)rate, seconds, mi, ri, mi - ri, ml, rl, ml - rl, ebu, mp, rp,
           20.0 * log10(spk));
    CHECK_NEAR(mi, ri, 0.01, "integrated vs libebur128");
    CHECK_NEAR(ml, rl, 0.1, "LRA (1 s hop, as libebur128) vs libebur128");
    CHECK(mp >= rp - 0.05, "true peak not below libebur128's 4x reading (%.3f vs %.3f)", mp, rp);
    CHECK(mp >= 20.0 * log10(spk) - 1e-9, "true peak >= sample peak");
    CHECK(mp <= rp + 0.7, "true peak within 4x worst-case under-read of libebur128's");
    ebur128_destroy(&st);
    lathe_bs1770_free(m);
    lathe_truepeak_free(tp);
}

int main(void)
{
    run_signal(48000, 30.0, 1);
    run_signal(44100, 60.0, 2);
    run_signal(48000, 120.0, 3);
    run_signal(44100, 45.0, 4);
    run_signal(96000, 40.0, 5);
    return tu_done();
}

#else
int main(void)
{
    printf("skip: built without libebur128 (LATHE_HAVE_EBUR128 undefined)\n");
    return tu_done();
}
#endif
