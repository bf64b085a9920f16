/* bench_polyphase: times the polyphase kernel against libsamplerate's best mode on 4 minutes of
 * synthetic stereo noise, in memory (no file I/O, so it isolates the resampler itself).
 *
 * Not a test (no test_ prefix). Build and run from the repository root:
 *   cc -O3 -std=c11 -D_POSIX_C_SOURCE=200809L -Inodes -Inodes/dsp tests/bench/bench_polyphase.c \
 *      nodes/dsp/polyphase.c nodes/dsp/fftconv.c nodes/dsp/fftw_safe.c -lsamplerate \
 *      -lfftw3_threads -lfftw3 -lpthread -lm -o /tmp/bench_polyphase && /tmp/bench_polyphase
 * Optional arguments: seconds (default 240). tests/bench/bench_resample.sh does this for you. */
#include "dsp/polyphase.h"

#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BLOCK 4096

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double time_polyphase(const float *const *x, size_t n, uint32_t fi, uint32_t fo, int prec,
                             int direct)
{
    lathe_polyphase_config c = lathe_polyphase_config_default(fi, fo, 2, BLOCK);
    c.precision = prec;
    c.direct = direct;
    lathe_polyphase *r;
    if (lathe_polyphase_new(&c, &r) != 0)
        return -1.0;
    uint32_t cap = lathe_polyphase_max_out(r, BLOCK);
    float *y0 = malloc(sizeof(float) * cap), *y1 = malloc(sizeof(float) * cap);
    double t0 = now(), sink = 0.0;
    for (size_t i = 0; i < n; i += BLOCK) {
        uint32_t m = n - i < BLOCK ? (uint32_t)(n - i) : BLOCK;
        const float *in[2] = { x[0] + i, x[1] + i };
        float *out[2] = { y0, y1 };
        uint32_t k = lathe_polyphase_process(r, in, m, out);
        if (k)
            sink += (double)y0[k - 1];
    }
    double dt = now() - t0;
    if (sink == 12345.678)
        puts("");
    lathe_polyphase_free(r);
    free(y0);
    free(y1);
    return dt;
}

static double time_src(const float *const *x, size_t n, uint32_t fi, uint32_t fo)
{
    int err;
    SRC_STATE *s = src_new(SRC_SINC_BEST_QUALITY, 2, &err);
    double ratio = (double)fo / fi;
    size_t cap = (size_t)(BLOCK * ratio) + 64;
    float *ib = malloc(sizeof(float) * 2 * BLOCK), *ob = malloc(sizeof(float) * 2 * cap);
    double t0 = now();
    for (size_t i = 0; i < n; i += BLOCK) {
        long m = n - i < BLOCK ? (long)(n - i) : BLOCK, used = 0;
        for (long k = 0; k < m; k++) {
            ib[2 * k] = x[0][i + k];
            ib[2 * k + 1] = x[1][i + k];
        }
        while (used < m) {
            SRC_DATA d = { .data_in = ib + 2 * used, .input_frames = m - used, .data_out = ob,
                           .output_frames = (long)cap, .src_ratio = ratio };
            if (src_process(s, &d) != 0 || d.input_frames_used == 0)
                break;
            used += d.input_frames_used;
        }
    }
    double dt = now() - t0;
    src_delete(s);
    free(ib);
    free(ob);
    return dt;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 240.0;
    static const uint32_t rates[][2] = { {48000, 44100}, {48000, 96000}, {44100, 48000},
                                         {96000, 44100} };
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        uint32_t fi = rates[r][0], fo = rates[r][1];
        size_t n = (size_t)(seconds * fi);
        float *ch[2] = { malloc(sizeof(float) * n), malloc(sizeof(float) * n) };
        uint64_t st = 88172645463325252ull;
        for (size_t i = 0; i < n; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            ch[0][i] = (float)((double)(st >> 11) / 9007199254740992.0 - 0.5);
            ch[1][i] = 0.5f * ch[0][i];
        }
        const float *const x[2] = { ch[0], ch[1] };
        double td = time_polyphase(x, n, fi, fo, LATHE_POLYPHASE_DOUBLE, 0);
        double tdd = fo % fi == 0 ? time_polyphase(x, n, fi, fo, LATHE_POLYPHASE_DOUBLE, 1)
                                   : td; /* integer ratios: FFT unless direct */
        double tf = time_polyphase(x, n, fi, fo, LATHE_POLYPHASE_FLOAT, 0);
        double ts = time_src(x, n, fi, fo);
        printf("%u->%u, %.0f s stereo: polyphase double %.2f s (%.1f Mframes/s; dot products "
               "%.2f s), float %.2f s, libsamplerate best %.2f s (%.1fx slower than polyphase "
               "double)\n", fi, fo, seconds, td, (double)n / td / 1e6, tdd, tf, ts, ts / td);
        free(ch[0]);
        free(ch[1]);
    }
    return 0;
}
