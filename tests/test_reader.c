/* test_reader.c - reading audio: the buffered file access under libsndfile (sfio) and the
 * decoding thread (readahead) give exactly the samples written, in WAV and FLAC, whatever the
 * block size; a reader stopped half-way frees cleanly; a file's reading stops at its end and
 * stays there. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "audio_io.h"
#include "readahead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define FRAMES (RATE * 5 + 123) /* FLAC: megabytes, several 256 KiB buffers */

static float *ref[2];

static void write_file(const char *path, lathe_audio_format fmt)
{
    char err[256];
    lathe_audio_writer *w = NULL;
    lathe_audio_writer_config cfg = {fmt, 24, RATE, 2};
    CHECK(lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) == LATHE_OK, "open %s", path);
    const float *ch[2] = {ref[0], ref[1]};
    CHECK(lathe_audio_writer_write(w, ch, FRAMES) == LATHE_OK, "write %s", path);
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

int main(void)
{
    char dir[512], path[600];
    tu_tmpdir(dir, sizeof dir);
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
        write_file(path, fmts[k]);
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
    remove(dir);
    free(ref[0]);
    free(ref[1]);
    return tu_done();
}
