/* test_slidemin.c - the sliding minimum (dsp/slidemin.h) against the minimum taken by brute
 * force over the last `win` values: windows of 1 to 40 values, sequences with ties, runs of 1.0
 * and decreasing and increasing ramps, resets, and idle stretches of 1.0 left out of the pushes
 * (as an idle gain computer does) at every phase of the block; at_unity against the window's
 * own contents. */
#include "dsp/slidemin.h"
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LEN 3000

/* Value i of sequence kind: random levels with ties, long runs of 1.0, ramps. */
static double value(int kind, int i, uint64_t *rng)
{
    double r = tu_rand(rng);
    switch (kind) {
    case 0: return (double)(int)(r * 8.0) / 8.0; /* ties */
    case 1: return r < 0.9 ? 1.0 : r;            /* mostly unity */
    case 2: return 1.0 - (double)(i % 97) / 97.0; /* falling ramps */
    default: return (double)(i % 89) / 89.0;     /* rising ramps */
    }
}

int main(void)
{
    static double hist[LEN];
    const lathe_dsp_alloc a = lathe_dsp_alloc_or_default(NULL);
    uint64_t rng = 12345;
    int bad = 0, unity_bad = 0, checks = 0;
    for (uint32_t win = 1; win <= 40; win++) {
        for (int kind = 0; kind < 4; kind++) {
            lathe_slidemin s;
            CHECK(lathe_slidemin_init(&s, win, &a) == 0, "init win %u", win);
            int since = 0; /* values since the last reset */
            for (int i = 0; i < LEN; i++) {
                /* a reset, or an idle stretch where the window holds nothing but 1.0 */
                if (i % 611 == 0) {
                    lathe_slidemin_reset(&s);
                    since = 0;
                }
                int unity = since > 0;
                for (int k = 1; k <= (int)win && k <= since; k++)
                    unity &= hist[i - k] == 1.0;
                unity_bad += unity && !lathe_slidemin_at_unity(&s);
                if (unity && i % 7 == 0) { /* an idle computer's ones, never pushed */
                    for (int k = 0; k < 5 && i < LEN; k++, i++, since++)
                        hist[i] = 1.0;
                    if (i >= LEN)
                        break;
                }
                hist[i] = value(kind, i, &rng);
                since++;
                double got = lathe_slidemin_push(&s, hist[i]), want = hist[i];
                for (int k = 1; k < (int)win && k < since; k++)
                    want = hist[i - k] < want ? hist[i - k] : want;
                bad += got != want;
                int all_ones = 1;
                for (int k = 0; k < (int)win && k < since; k++)
                    all_ones &= hist[i - k] == 1.0;
                unity_bad += lathe_slidemin_at_unity(&s) != all_ones;
                checks++;
            }
            lathe_slidemin_fini(&s, &a);
        }
    }
    CHECK(bad == 0, "%d of %d minima differ from the brute-force minimum", bad, checks);
    CHECK(unity_bad == 0, "at_unity wrong %d times in %d", unity_bad, checks);
    printf("slidemin: %d pushes checked\n", checks);
    return tu_done();
}
