/* test_file_threads.c - audio files on their own threads. Reading: the buffered file access
 * under libsndfile (sfio) and the decoding thread (readahead) give exactly the samples written,
 * in WAV and FLAC, whatever the block size; a reader stopped half-way frees cleanly; the end
 * stays the end. Writing: the encoding thread (writebehind) writes the same bytes as writing in
 * place, fed in odd blocks; freed before finishing, it stops. Under both, the one-job worker
 * (lathe_node.h): jobs run one at a time, in order, off the caller's thread, and free() lets the
 * job handed over finish. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "engine/audio_io.h"
#include "engine/readahead.h"
#include "engine/writebehind.h"
#include "lathe/lathe_node.h"

#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define FRAMES (RATE * 5 + 123) /* FLAC: megabytes, several 256 KiB buffers */

static float *ref[2];

/* Writes ref to path in `block`-frame pieces, through an encoding thread or in place. */
static void write_file(const char *path, lathe_audio_format fmt, int thread, uint32_t block)
{
    char err[256];
    lathe_audio_writer *w = NULL;
    lathe_writebehind *wb = NULL;
    lathe_audio_writer_config cfg = {.container = fmt, .bits = 24, .rate = RATE, .channels = 2};
    CHECK(lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK, "open %s", path);
    CHECK(lathe_writebehind_new(w, 2, thread, &wb) == LATHE_OK, "writebehind");
    int ok = 1;
    for (long off = 0; off < FRAMES; off += block) {
        const float *ch[2] = {ref[0] + off, ref[1] + off};
        ok &= lathe_writebehind_write(wb, ch, FRAMES - off < block ? FRAMES - off : block) ==
              LATHE_OK;
    }
    CHECK(ok && lathe_writebehind_finish(wb) == LATHE_OK, "write %s", path);
    lathe_writebehind_free(wb);
    CHECK(lathe_audio_writer_commit(w, err, sizeof err) == LATHE_OK, "commit %s: %s", path, err);
    lathe_audio_writer_free(w);
}

/* Reads the whole file through readahead in `block`-frame pieces; 1 when every sample matches. */
static int read_all(const char *path, uint32_t block, long *frames)
{
    char err[256];
    lathe_audio_reader *rd = NULL;
    lathe_audio_info info;
    lathe_readahead *ra = NULL;
    if (lathe_audio_reader_open(path, &rd, &info, err, sizeof err) != LATHE_OK ||
        lathe_readahead_new(rd, 2, block, &ra) != LATHE_OK)
        return 0;
    int same = 1;
    long at = 0, n;
    const float *const *ch;
    int64_t bad;
    while ((n = lathe_readahead_next(ra, &ch, &bad, NULL)) > 0) {
        for (int c = 0; c < 2; c++)
            same &= at + n <= FRAMES && memcmp(ch[c], ref[c] + at, sizeof(float) * (size_t)n) == 0;
        same &= bad == -1;
        at += n;
    }
    same &= n == 0 && lathe_readahead_next(ra, &ch, &bad, NULL) == 0; /* the end stays */
    *frames = at;
    lathe_readahead_free(ra);
    lathe_audio_reader_free(rd);
    return same;
}

typedef struct job_log {
    int seen[64], n, running, overlap;
    pthread_t caller;
    int off_thread;
} job_log;

static job_log jl;

static void job(void *arg)
{
    int k = (int)(intptr_t)arg;
    jl.overlap |= __atomic_fetch_add(&jl.running, 1, __ATOMIC_SEQ_CST) != 0;
    struct timespec ts = {0, 200000}; /* long enough for the caller to race ahead if it could */
    nanosleep(&ts, NULL);
    jl.off_thread += !pthread_equal(pthread_self(), jl.caller);
    jl.seen[jl.n++] = k;
    __atomic_fetch_sub(&jl.running, 1, __ATOMIC_SEQ_CST);
}

static void test_worker(void)
{
    lathe_worker *w;
    jl.caller = pthread_self();
    CHECK(lathe_worker_new(&w) == LATHE_OK, "a worker");
    for (int k = 0; k < 20; k++)
        lathe_worker_run(w, job, (void *)(intptr_t)k);
    lathe_worker_wait(w);
    int in_order = jl.n == 20;
    for (int k = 0; k < jl.n; k++)
        in_order &= jl.seen[k] == k;
    CHECK(in_order && !jl.overlap, "20 jobs run one at a time, in order (%d run)", jl.n);
    CHECK(jl.off_thread == 20, "off the caller's thread (%d of 20)", jl.off_thread);
    lathe_worker_run(w, job, (void *)(intptr_t)20);
    lathe_worker_free(w); /* the job handed over still runs */
    CHECK(jl.n == 21 && jl.seen[20] == 20, "free lets the last job finish (%d run)", jl.n);
}

/* Integer words: x * 2^(bits-1) rounded to nearest, ties to even (nearbyint), clamped to the
 * word with every clamp counted (NaN written as 0 and counted), in 16 and 24 bits, in WAV
 * (interleaved, through libsndfile) and FLAC (planar, through libFLAC). */
static void test_rounding(const char *dir)
{
    enum { N = 4096 };
    static float x[N];
    uint64_t seed = 9;
    for (int run = 0; run < 4; run++) {
        const int bits = run % 2 ? 24 : 16, flac = run >= 2;
        const double scale = (double)(1u << (bits - 1));
        int k = 0;
        for (int j = -40; j <= 40; j++) /* ties and their neighbours around 0 */
            x[k++] = (float)((j * 0.5) / scale);
        for (int j = -6; j <= 6; j++) { /* around both ends of the word */
            x[k++] = (float)((scale - 1.0 + j * 0.5) / scale);
            x[k++] = (float)((-scale + j * 0.5) / scale);
        }
        float specials[] = {-0.0f, 1e-30f, -1e-30f, 4.0f, -4.0f, 1e30f, -1e30f, NAN, INFINITY,
                            -INFINITY};
        for (size_t j = 0; j < sizeof specials / sizeof specials[0]; j++)
            x[k++] = specials[j];
        while (k < N)
            x[k++] = (float)(tu_rand(&seed) * 1.2);
        char path[700], err[256];
        snprintf(path, sizeof path, "%s/round%d.%s", dir, bits, flac ? "flac" : "wav");
        lathe_audio_writer_config cfg = {.container = flac ? LATHE_FMT_FLAC : LATHE_FMT_WAV,
                                         .bits = bits, .rate = RATE, .channels = 1};
        lathe_audio_writer *w = NULL;
        const float *ch[1] = {x};
        CHECK(lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK &&
                  lathe_audio_writer_write(w, ch, N) == LATHE_OK, "write %d-bit words", bits);
        uint64_t clipped = lathe_audio_writer_clipped(w), want_clipped = 0;
        CHECK(lathe_audio_writer_commit(w, err, sizeof err) == LATHE_OK, "commit: %s", err);
        lathe_audio_writer_free(w);
        SF_INFO info = {0};
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        static int got[N];
        CHECK(sf && sf_readf_int(sf, got, N) == N, "read the %d-bit words back", bits);
        if (sf)
            sf_close(sf);
        remove(path);
        int same = 1;
        for (int i = 0; i < N; i++) {
            double v = nearbyint((double)x[i] * scale);
            if (v != v || v > scale - 1.0 || v < -scale) {
                want_clipped++;
                v = v != v ? 0.0 : v > 0.0 ? scale - 1.0 : -scale;
            }
            same &= got[i] == (int)((uint32_t)(int32_t)v << (32 - bits));
        }
        CHECK(same, "%s %d-bit words are x * 2^%d rounded to nearest, ties to even",
              flac ? "FLAC" : "WAV", bits, bits - 1);
        CHECK(clipped == want_clipped, "%s %d-bit clamps counted: %llu (want %llu)",
              flac ? "FLAC" : "WAV", bits, (unsigned long long)clipped,
              (unsigned long long)want_clipped);
    }
}

int main(void)
{
    test_worker();
    char dir[512], path[600];
    tu_tmpdir(dir, sizeof dir);
    test_rounding(dir);
    uint64_t seed = 5;
    for (int c = 0; c < 2; c++) {
        ref[c] = malloc(sizeof(float) * FRAMES);
        for (long i = 0; i < FRAMES; i++) /* exact 24-bit values: the round trip is exact */
            ref[c][i] = (float)((double)(long)(tu_rand(&seed) * 0.9 * 8388607.0) / 8388608.0);
    }
    const char *names[] = {"a.wav", "a.flac"};
    lathe_audio_format fmts[] = {LATHE_FMT_WAV, LATHE_FMT_FLAC};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        write_file(path, fmts[k], 0, FRAMES);
        char behind[700];
        snprintf(behind, sizeof behind, "%s/behind.%s", dir, k ? "flac" : "wav");
        write_file(behind, fmts[k], 1, 1000);
        CHECK(tu_run("cmp -s %s %s", path, behind) == 0,
              "%s: written on an encoding thread in blocks of 1000: the same bytes", names[k]);
        remove(behind);
        uint32_t blocks[] = {16384, 1000, 37};
        for (int b = 0; b < 3; b++) {
            long frames = 0;
            CHECK(read_all(path, blocks[b], &frames), "%s in blocks of %u: the samples written",
                  names[k], blocks[b]);
            CHECK(frames == FRAMES, "%s in blocks of %u: %ld frames (want %d)", names[k],
                  blocks[b], frames, FRAMES);
        }
        /* stopping after one block: the decoder is waiting on a full queue, and must quit */
        char err[256];
        lathe_audio_reader *rd = NULL;
        lathe_audio_info info;
        lathe_readahead *ra = NULL;
        const float *const *ch;
        CHECK(lathe_audio_reader_open(path, &rd, &info, err, sizeof err) == LATHE_OK, "reopen");
        CHECK(lathe_readahead_new(rd, 2, 512, &ra) == LATHE_OK, "readahead");
        CHECK(lathe_readahead_next(ra, &ch, NULL, NULL) == 512, "first block");
        lathe_readahead_free(ra);
        lathe_audio_reader_free(rd);
        remove(path);
    }
    /* an encoder freed before finish (a failed render) stops, and the writer removes its file */
    char err[256];
    lathe_audio_writer *w = NULL;
    lathe_writebehind *wb = NULL;
    lathe_audio_writer_config cfg = {.container = LATHE_FMT_FLAC, .bits = 24, .rate = RATE, .channels = 2};
    snprintf(path, sizeof path, "%s/dropped.flac", dir);
    CHECK(lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK &&
          lathe_writebehind_new(w, 2, 1, &wb) == LATHE_OK, "open for the dropped write");
    const float *ch[2] = {ref[0], ref[1]};
    for (int k = 0; k < 8; k++)
        lathe_writebehind_write(wb, ch, 20000);
    lathe_writebehind_free(wb);
    lathe_audio_writer_free(w);
    CHECK(tu_run("test -z \"$(ls -A %s)\"", dir) == 0, "nothing left behind");
    remove(dir);
    free(ref[0]);
    free(ref[1]);
    return tu_done();
}
