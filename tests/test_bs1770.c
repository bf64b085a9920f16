/* test_bs1770.c - EBU Tech 3341 cases 1-6 and 9-14 (loudness) and Tech 3342 cases 1-4 (LRA),
 * synthesized as specs.md §5.6-5.7 describe, at 48, 44.1 and 96 kHz; block-size independence;
 * gates and the short-term series. (True-peak cases 15-23 are in test_truepeak.c.) */
#include "measure/bs1770.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXCH 5
#define GEN 4096

typedef struct seg {
    double dur_s;
    double dbfs; /* per-channel peak; -INFINITY for silence */
} seg;

static const double pi = 3.14159265358979323846;

/* Feeds a 1 kHz sine (phase-continuous over the whole signal, levels switching at exact sample
 * positions) in `block`-frame pieces; channel c gets dbfs + offs[c]. */
static void feed_tone(lathe_bs1770 *m, uint32_t rate, uint32_t nch, const double *offs,
                      const seg *segs, int n_segs, uint32_t block)
{
    static float buf[MAXCH][GEN];
    const float *chp[MAXCH];
    double w = 2.0 * pi * 1000.0 / (double)rate;
    uint64_t n = 0;
    for (uint32_t c = 0; c < nch; c++)
        chp[c] = buf[c];
    for (int s = 0; s < n_segs; s++) {
        uint64_t len = (uint64_t)llround(segs[s].dur_s * (double)rate);
        while (len > 0) {
            uint32_t k = len < block ? (uint32_t)len : block;
            if (k > GEN)
                k = GEN;
            for (uint32_t c = 0; c < nch; c++) {
                double a = isinf(segs[s].dbfs) ? 0.0 : pow(10.0, (segs[s].dbfs + offs[c]) / 20.0);
                for (uint32_t i = 0; i < k; i++)
                    buf[c][i] = (float)(a * sin(w * (double)((n + i) % (uint64_t)rate)));
            }
            lathe_bs1770_add(m, chp, k);
            n += k;
            len -= k;
        }
    }
}

static lathe_bs1770 *run(uint32_t rate, const seg *segs, int n, uint32_t block)
{
    static const double zero[MAXCH] = {0};
    lathe_bs1770 *m = NULL;
    if (lathe_bs1770_new(rate, 2, &m) != 0)
        return NULL;
    feed_tone(m, rate, 2, zero, segs, n, block);
    return m;
}

static void check_i(uint32_t rate, const char *name, const seg *segs, int n, double want)
{
    char what[96];
    lathe_bs1770 *m = run(rate, segs, n, 1000);
    snprintf(what, sizeof(what), "3341 %s I @%u", name, (unsigned)rate);
    CHECK_NEAR(lathe_bs1770_integrated(m), want, 0.1, what);
    lathe_bs1770_free(m);
}

static void cases_1_to_6(uint32_t rate)
{
    char what[96];
    for (int k = 0; k < 2; k++) {
        double lv = k == 0 ? -23.0 : -33.0;
        seg s[] = {{20.0, lv}};
        lathe_bs1770 *m = run(rate, s, 1, 4096);
        snprintf(what, sizeof(what), "3341 #%d M/S/I @%u", k + 1, (unsigned)rate);
        CHECK_NEAR(lathe_bs1770_integrated(m), lv, 0.1, what);
        CHECK_NEAR(lathe_bs1770_momentary(m), lv, 0.1, what);
        CHECK_NEAR(lathe_bs1770_short_term(m), lv, 0.1, what);
        CHECK_NEAR(lathe_bs1770_momentary_max(m), lv, 0.1, what);
        CHECK_NEAR(lathe_bs1770_short_term_max(m), lv, 0.1, what);
        lathe_bs1770_free(m);
    }
    seg s3[] = {{10, -36}, {60, -23}, {10, -36}};
    check_i(rate, "#3", s3, 3, -23.0);
    seg s4[] = {{10, -72}, {10, -36}, {60, -23}, {10, -36}, {10, -72}};
    check_i(rate, "#4", s4, 5, -23.0);
    seg s5[] = {{20, -26}, {20.1, -20}, {20, -26}};
    check_i(rate, "#5", s5, 3, -23.0);

    /* #6: 5.0, L R C Ls Rs at -28 -28 -24 -30 -30 dBFS */
    static const double offs[MAXCH] = {-28.0, -28.0, -24.0, -30.0, -30.0};
    seg s6[] = {{20.0, 0.0}};
    lathe_bs1770 *m = NULL;
    lathe_bs1770_new(rate, 5, &m);
    feed_tone(m, rate, 5, offs, s6, 1, 777);
    snprintf(what, sizeof(what), "3341 #6 5.0 I @%u", (unsigned)rate);
    CHECK_NEAR(lathe_bs1770_integrated(m), -23.0, 0.1, what);
    lathe_bs1770_free(m);
}

/* #9: (1.34 s at -20; 1.66 s at -30) x5: S = -23 constant after 3 s (every 100 ms value). */
static void case_9(uint32_t rate)
{
    seg s[10];
    for (int i = 0; i < 5; i++) {
        s[2 * i] = (seg){1.34, -20.0};
        s[2 * i + 1] = (seg){1.66, -30.0};
    }
    lathe_bs1770 *m = run(rate, s, 10, 1000);
    double lo = 1e9, hi = -1e9;
    size_t n = lathe_bs1770_short_term_count(m);
    for (size_t i = 29; i < n; i++) {
        double v = lathe_bs1770_short_term_at(m, i);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    printf("  3341 #9 @%u: S after 3 s in [%.3f, %.3f] over %zu values\n", (unsigned)rate, lo,
           hi, n - 29);
    CHECK(n >= 149 && lo >= -23.1 && hi <= -22.9, "3341 #9 S constant -23 after 3 s @%u",
          (unsigned)rate);
    CHECK_NEAR(lathe_bs1770_short_term_max(m), -23.0, 0.1, "3341 #9 max S");
    lathe_bs1770_free(m);
}

/* #10: 20 signals, i*0.15 s silence, 3 s at -23, 1 s silence: max S = -23 each.
 * #13: 20 signals, i*20 ms silence, 400 ms at -23, 1 s silence: max M = -23 each. */
static void cases_10_13(uint32_t rate)
{
    double worst10 = 0.0, worst13 = 0.0;
    for (int i = 0; i < 20; i++) {
        seg s10[] = {{i * 0.15, -INFINITY}, {3.0, -23.0}, {1.0, -INFINITY}};
        lathe_bs1770 *m = run(rate, s10, 3, 1000 + 37 * (uint32_t)i);
        double d = lathe_bs1770_short_term_max(m) + 23.0;
        worst10 = fabs(d) > fabs(worst10) ? d : worst10;
        lathe_bs1770_free(m);
        seg s13[] = {{i * 0.02, -INFINITY}, {0.4, -23.0}, {1.0, -INFINITY}};
        m = run(rate, s13, 3, 512 + 101 * (uint32_t)i);
        d = lathe_bs1770_momentary_max(m) + 23.0;
        worst13 = fabs(d) > fabs(worst13) ? d : worst13;
        lathe_bs1770_free(m);
    }
    printf("  3341 #10/#13 @%u: worst max-S error %+.3f LU, worst max-M error %+.3f LU\n",
           (unsigned)rate, worst10, worst13);
    CHECK(fabs(worst10) <= 0.1, "3341 #10 max S within 0.1 LU in all 20 files @%u", (unsigned)rate);
    CHECK(fabs(worst13) <= 0.1, "3341 #13 max M within 0.1 LU in all 20 files @%u", (unsigned)rate);
}

/* Live-meter cases #11 and #14: one signal of 20 segments; segment i holds a tone at
 * (-38 + i) dBFS; the max of S (#11) or M (#14) read every ~5 ms within each segment must be
 * -38 + i. `pre` and `tone` are the silence before and the tone length, `seg_s` the segment. */
static void live_case(uint32_t rate, int use_s, double pre, double tone, double seg_s)
{
    static float buf[2][GEN];
    const float *chp[2] = {buf[0], buf[1]};
    lathe_bs1770 *m = NULL;
    lathe_bs1770_new(rate, 2, &m);
    uint32_t step = rate / 200;
    uint64_t seg_len = (uint64_t)llround(seg_s * rate), total = 20 * seg_len;
    double w = 2.0 * pi * 1000.0 / (double)rate, segmax[20], worst = 0.0;
    for (int i = 0; i < 20; i++)
        segmax[i] = -1e9;
    for (uint64_t n = 0; n < total; n += step) {
        for (uint32_t j = 0; j < step; j++) {
            uint64_t k = n + j, i = k / seg_len, in = k % seg_len;
            uint64_t t0 = (uint64_t)llround((double)i * pre * rate);
            uint64_t t1 = t0 + (uint64_t)llround(tone * rate);
            double amp = in >= t0 && in < t1 ? pow(10.0, (-38.0 + (double)i) / 20.0) : 0.0;
            buf[0][j] = buf[1][j] = (float)(amp * sin(w * (double)(k % rate)));
        }
        lathe_bs1770_add(m, chp, step);
        int i = (int)((n + step - 1) / seg_len);
        double v = use_s ? lathe_bs1770_short_term(m) : lathe_bs1770_momentary(m);
        if (i < 20 && v > segmax[i])
            segmax[i] = v;
    }
    for (int i = 0; i < 20; i++) {
        double d = segmax[i] - (-38.0 + i);
        worst = fabs(d) > fabs(worst) ? d : worst;
    }
    printf("  3341 #%d @%u: worst per-segment max error %+.3f LU\n", use_s ? 11 : 14,
           (unsigned)rate, worst);
    CHECK(fabs(worst) <= 0.1, "3341 #%d per-segment max within 0.1 LU @%u", use_s ? 11 : 14,
          (unsigned)rate);
    lathe_bs1770_free(m);
}

static void case_12(uint32_t rate)
{
    /* (0.18 s at -20; 0.22 s at -30) x25: M = -23 constant after 1 s */
    static float buf[2][GEN];
    const float *chp[2] = {buf[0], buf[1]};
    lathe_bs1770 *m = NULL;
    lathe_bs1770_new(rate, 2, &m);
    uint32_t step = rate / 100, a = (uint32_t)llround(0.18 * rate), p = a + (uint32_t)llround(0.22 * rate);
    double w = 2.0 * pi * 1000.0 / (double)rate, lo = 1e9, hi = -1e9;
    for (uint64_t n = 0; n < 25 * (uint64_t)p; n += step) {
        for (uint32_t i = 0; i < step; i++) {
            uint64_t k = n + i;
            double amp = (k % p) < a ? pow(10.0, -1.0) : pow(10.0, -1.5);
            buf[0][i] = buf[1][i] = (float)(amp * sin(w * (double)(k % rate)));
        }
        lathe_bs1770_add(m, chp, step);
        if (n + step >= rate) {
            double v = lathe_bs1770_momentary(m);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    printf("  3341 #12 @%u: M after 1 s in [%.3f, %.3f]\n", (unsigned)rate, lo, hi);
    CHECK(lo >= -23.1 && hi <= -22.9, "3341 #12 M constant -23 after 1 s @%u", (unsigned)rate);
    lathe_bs1770_free(m);
}

static void lra_cases(uint32_t rate)
{
    seg c1[] = {{20, -20}, {20, -30}};
    seg c2[] = {{20, -20}, {20, -15}};
    seg c3[] = {{20, -40}, {20, -20}};
    seg c4[] = {{20, -50}, {20, -35}, {20, -20}, {20, -35}, {20, -50}};
    seg c1x2[] = {{20, -20}, {20, -30}, {20, -20}, {20, -30}};
    struct { const seg *s; int n; double want; const char *name; } t[] = {
        {c1, 2, 10, "#1"}, {c2, 2, 5, "#2"}, {c3, 2, 20, "#3"}, {c4, 5, 15, "#4"},
        {c1x2, 4, 10, "#1 repeated"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char what[64];
        lathe_bs1770 *m = run(rate, t[i].s, t[i].n, 4096);
        snprintf(what, sizeof(what), "3342 %s LRA @%u", t[i].name, (unsigned)rate);
        CHECK_NEAR(lathe_bs1770_lra(m), t[i].want, 1.0, what);
        lathe_bs1770_free(m);
    }
}

/* Same signal fed in different block sizes: identical results, to the bit. */
static void block_independence(void)
{
    seg s[] = {{2.0, -30.0}, {3.3, -12.0}, {1.7, -40.0}};
    lathe_bs1770 *a = run(48000, s, 3, 4096), *b = run(48000, s, 3, 37);
    double ra[4] = {lathe_bs1770_integrated(a), lathe_bs1770_momentary_max(a),
                    lathe_bs1770_short_term_max(a), lathe_bs1770_short_term_at(a, 40)};
    double rb[4] = {lathe_bs1770_integrated(b), lathe_bs1770_momentary_max(b),
                    lathe_bs1770_short_term_max(b), lathe_bs1770_short_term_at(b, 40)};
    CHECK(memcmp(ra, rb, sizeof(ra)) == 0, "block 4096 vs 37: identical results (I %.6f / %.6f)",
          ra[0], rb[0]);
    lathe_bs1770_free(a);
    lathe_bs1770_free(b);
}

/* Silence and below-gate signals give NAN, never -inf; reset forgets. */
static void gates(void)
{
    seg quiet[] = {{5.0, -80.0}};
    lathe_bs1770 *m = run(48000, quiet, 1, 4096);
    CHECK(isnan(lathe_bs1770_integrated(m)), "below absolute gate: integrated is NAN");
    CHECK(isnan(lathe_bs1770_lra(m)), "short signal: LRA is NAN");
    CHECK_NEAR(lathe_bs1770_momentary_max(m), -80.0, 0.1, "ungated max M of -80 dBFS tone");
    lathe_bs1770_reset(m);
    CHECK(isnan(lathe_bs1770_momentary_max(m)), "reset clears max M");
    seg loud[] = {{1.0, -10.0}};
    feed_tone(m, 48000, 2, (const double[MAXCH]){0}, loud, 1, 4096);
    CHECK_NEAR(lathe_bs1770_integrated(m), -10.0, 0.1, "after reset: fresh measurement");
    CHECK(lathe_bs1770_hop_frames(m) == 4800, "hop 4800 frames at 48 kHz");
    lathe_bs1770_free(m);
    /* mono: one channel with G = 1, 3.01 LU below the same signal on two channels */
    lathe_bs1770 *mono = NULL;
    lathe_bs1770_new(44100, 1, &mono);
    seg one[] = {{3.0, -20.0}};
    feed_tone(mono, 44100, 1, (const double[MAXCH]){0}, one, 1, 999);
    CHECK_NEAR(lathe_bs1770_integrated(mono), -23.01, 0.05, "mono -20 dBFS 1 kHz sine");
    lathe_bs1770_free(mono);
}

/* The mono fold measured from the stereo meter's K-weighting equals a meter fed (L + R) / 2:
 * partly correlated noise with a 40 Hz component (where the filter's phase matters), cut into
 * odd blocks. */
static void fold(void)
{
    enum { N = 48000 * 12, B = 777 };
    static float l[N], r[N], f[N];
    uint64_t seed = 99;
    for (uint32_t i = 0; i < N; i++) {
        double common = tu_rand(&seed) - 0.5, w = 2.0 * pi * 40.0 * i / 48000.0;
        l[i] = (float)(0.5 * common + 0.3 * (tu_rand(&seed) - 0.5) + 0.2 * sin(w));
        r[i] = (float)(0.4 * common + 0.3 * (tu_rand(&seed) - 0.5) - 0.1 * sin(w));
        f[i] = 0.5f * (l[i] + r[i]);
    }
    lathe_bs1770 *st = NULL, *fed = NULL, *direct = NULL;
    lathe_bs1770_new(48000, 2, &st);
    lathe_bs1770_new(48000, 1, &fed);
    lathe_bs1770_new(48000, 1, &direct);
    CHECK(lathe_bs1770_set_fold(st, fed) == 0, "stereo meter takes a mono fold");
    CHECK(lathe_bs1770_set_fold(fed, direct) == -1, "a mono meter has no fold");
    for (uint32_t off = 0; off < N; off += B) {
        uint32_t k = N - off < B ? N - off : B;
        const float *ch[2] = {l + off, r + off}, *m[1] = {f + off};
        lathe_bs1770_add(st, ch, k);
        lathe_bs1770_add(direct, m, k);
    }
    CHECK_NEAR(lathe_bs1770_integrated(fed), lathe_bs1770_integrated(direct), 1e-6,
               "fold from the stereo K-weighting: integrated loudness");
    CHECK_NEAR(lathe_bs1770_short_term_max(fed), lathe_bs1770_short_term_max(direct), 1e-6,
               "fold: max short-term");
    CHECK(lathe_bs1770_short_term_count(fed) == lathe_bs1770_short_term_count(direct),
          "fold: as many short-term values");
    lathe_bs1770_free(st);
    lathe_bs1770_free(fed);
    lathe_bs1770_free(direct);
}

int main(void)
{
    static const uint32_t rates[] = {48000, 44100, 96000};
    for (int r = 0; r < 3; r++) {
        cases_1_to_6(rates[r]);
        case_9(rates[r]);
        cases_10_13(rates[r]);
        case_12(rates[r]);
        live_case(rates[r], 1, 0.15, 3.0, 6.0);
        live_case(rates[r], 0, 0.02, 0.4, 0.8);
        lra_cases(rates[r]);
    }
    block_independence();
    gates();
    fold();
    return tu_done();
}
