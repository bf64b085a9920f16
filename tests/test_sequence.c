/* sequence through the node harness: three tracks (a gap, then a crossfade, then a silent tail)
 * placed at exact frames. Blocks of 4096, 37 and 1000 frames give the same bits, with and
 * without dither. Without dither every frame equals the oracle recomputed here (gain times
 * fade, summed in input order, in double then rounded to float), gaps and tail exact zeros;
 * with dither_bits = 16 the gaps stay exact zeros while every played frame lies on the 16-bit
 * grid within 1.5 LSB of the undithered value, and the dither is really there. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "nodeharness.h"
#include "engine/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define LEN_A 5000
#define LEN_B 3000
#define LEN_C 4000
#define START_A 1000
#define START_B 7000 /* a gap of 1000 frames after A */
#define START_C 9500 /* 500 frames of crossfade with the end of B */
#define XF 500
#define TOTAL 15000
#define GAIN_A_DB (-6.0)

static tu_signal in[3];

static void *seq_params(int dither_bits)
{
    const lathe_node_desc *d = tu_node("sequence");
    void *p = calloc(1, d->params_size);
    char err[256] = "";
    tu_params_default(d, p);
    const lathe_param *starts = lathe_params_find(d->params, "starts_frames"),
                      *gains = lathe_params_find(d->params, "gains_db"),
                      *fin = lathe_params_find(d->params, "fade_in_frames"),
                      *fout = lathe_params_find(d->params, "fade_out_frames");
    const double st[3] = {START_A, START_B, START_C}, g[3] = {GAIN_A_DB, 0, 0},
                 fi[3] = {0, 0, XF}, fo[3] = {0, XF, 0};
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        rc |= lathe_param_push_number(starts, p, st[i], err, sizeof err);
        rc |= lathe_param_push_number(gains, p, g[i], err, sizeof err);
        rc |= lathe_param_push_number(fin, p, fi[i], err, sizeof err);
        rc |= lathe_param_push_number(fout, p, fo[i], err, sizeof err);
    }
    rc |= lathe_param_set_number(lathe_params_find(d->params, "length_frames"), p, TOTAL, err,
                                 sizeof err);
    rc |= lathe_param_set_number(lathe_params_find(d->params, "dither_bits"), p, dither_bits,
                                 err, sizeof err);
    CHECK(rc == 0, "sequence parameters: %s", err);
    return p;
}

static void make_inputs(void)
{
    const uint64_t len[3] = {LEN_A, LEN_B, LEN_C};
    uint64_t st = 99;
    for (int i = 0; i < 3; i++) {
        in[i] = tu_signal_new(RATE, 2, len[i]);
        for (uint32_t c = 0; c < 2; c++)
            for (uint64_t k = 0; k < len[i]; k++)
                in[i].ch[c][k] = (float)(0.5 * tu_rand(&st));
    }
}

/* The timeline as the node defines it (equal_gain fades: t = k / L). */
static float oracle(uint32_t c, uint64_t f)
{
    const uint64_t st[3] = {START_A, START_B, START_C};
    float y = 0.0f;
    for (int i = 0; i < 3; i++) {
        if (f < st[i] || f >= st[i] + in[i].fmt.frames)
            continue;
        uint64_t j = f - st[i];
        double g = i == 0 ? pow(10.0, GAIN_A_DB / 20.0) : 1.0;
        if (i == 2 && j < XF)
            g *= (double)j / XF;
        if (i == 1 && j >= LEN_B - XF)
            g *= 1.0 - (double)(j - (LEN_B - XF)) / XF;
        y = (float)((double)y + g * (double)in[i].ch[c][j]);
    }
    return y;
}

static int playing(uint64_t f)
{
    return (f >= START_A && f < START_A + LEN_A) || (f >= START_B && f < START_C + LEN_C);
}

static int run(int dither_bits, tu_signal *y)
{
    void *p = seq_params(dither_bits);
    char err[256] = "";
    const lathe_node_desc *d = tu_node("sequence");
    int rc = tu_node_run(d, p, in, 3, 4096, y, err, sizeof err);
    CHECK(rc == LATHE_OK && y->fmt.frames == TOTAL, "sequence runs (%s), %llu frames", err,
          rc == LATHE_OK ? (unsigned long long)y->fmt.frames : 0ull);
    const uint32_t blocks[2] = {37, 1000};
    for (int b = 0; rc == LATHE_OK && b < 2; b++) {
        tu_signal z;
        int rz = tu_node_run(d, p, in, 3, blocks[b], &z, err, sizeof err);
        int same = rz == LATHE_OK && z.fmt.frames == y->fmt.frames;
        for (uint32_t c = 0; same && c < 2; c++)
            same = memcmp(z.ch[c], y->ch[c], sizeof(float) * TOTAL) == 0;
        CHECK(same, "dither_bits %d: block %u gives the bits of block 4096", dither_bits,
              blocks[b]);
        if (rz == LATHE_OK)
            tu_signal_free(&z);
    }
    free(p);
    return rc;
}

static void test_exact(void)
{
    tu_signal y;
    if (run(0, &y) != LATHE_OK)
        return;
    long off = 0, gap_nonzero = 0, gap_frames = 0;
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t f = 0; f < TOTAL; f++) {
            off += y.ch[c][f] != oracle(c, f);
            if (!playing(f)) {
                gap_frames += c == 0;
                gap_nonzero += y.ch[c][f] != 0.0f || signbit(y.ch[c][f]);
            }
        }
    CHECK(off == 0, "every sample equals the timeline oracle (%ld differ)", off);
    CHECK(gap_frames == START_A + (START_B - START_A - LEN_A) + (TOTAL - START_C - LEN_C),
          "lead-in, gap and tail are %ld frames", gap_frames);
    CHECK(gap_nonzero == 0, "gaps are exact (+0.0) zeros without dither (%ld not)", gap_nonzero);
    tu_signal_free(&y);
}

static void test_dither(void)
{
    tu_signal y;
    if (run(16, &y) != LATHE_OK)
        return;
    long gap_nonzero = 0, off_grid = 0, too_far = 0, dithered = 0, played = 0;
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t f = 0; f < TOTAL; f++) {
            double v = (double)y.ch[c][f] * 32768.0, u = (double)oracle(c, f) * 32768.0;
            if (!playing(f)) {
                gap_nonzero += y.ch[c][f] != 0.0f;
                continue;
            }
            played++;
            off_grid += v != nearbyint(v);
            too_far += fabs(v - u) > 1.5;
            dithered += v != nearbyint(u);
        }
    CHECK(gap_nonzero == 0, "dither_bits 16: gaps stay digital silence (%ld non-zero)",
          gap_nonzero);
    CHECK(off_grid == 0, "dither_bits 16: every played sample on the 16-bit grid (%ld off)",
          off_grid);
    CHECK(too_far == 0, "dither_bits 16: within 1.5 LSB of the undithered value (%ld beyond)",
          too_far);
    CHECK(dithered > played / 4, "dither_bits 16: %ld of %ld played samples differ from plain "
          "rounding (TPDF noise is there)", dithered, played);
    tu_signal_free(&y);
}

int main(void)
{
    make_inputs();
    test_exact();
    test_dither();
    for (int i = 0; i < 3; i++)
        tu_signal_free(&in[i]);
    return tu_done();
}
