/* flac_encoder.c - FLAC files through libFLAC (see flac_encoder.h). */
#define _POSIX_C_SOURCE 200809L
#include "flac_encoder.h"

#include "lathe/lathe.h"

#include <FLAC/stream_encoder.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* libFLAC's level 3 (fixed and LPC predictors up to order 6, no stereo decorrelation): files
 * 0.5% larger than at its default 5 (measured on a 24-bit master), encoded in 30% less time;
 * the audio is the same at every level. */
#define LEVEL 3

/* libFLAC hands over a frame at a time (~20 KB of a 24-bit stereo file): written as they came,
 * each write but few began or ended inside a page, which ext4 zeroes before the copy (the
 * kernel's write path took 7% of a 4-minute programme's streaming re-render run right after its
 * cold render, 0.3% buffered). Buffered, the file is written in whole pages until the end. */
#define BUF_BYTES ((size_t)256 << 10)

struct lathe_flac_encoder {
    FLAC__StreamEncoder *enc;
    int fd;
    size_t used; /* bytes in buf, for the file's current offset on */
    unsigned char buf[BUF_BYTES];
};

static int flush(lathe_flac_encoder *e)
{
    const unsigned char *p = e->buf;
    size_t left = e->used;
    while (left) {
        ssize_t k = write(e->fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        left -= (size_t)k;
    }
    e->used = 0;
    return 0;
}

static FLAC__StreamEncoderWriteStatus put(const FLAC__StreamEncoder *enc, const FLAC__byte *buf,
                                          size_t bytes, uint32_t samples, uint32_t frame,
                                          void *client)
{
    (void)enc, (void)samples, (void)frame;
    lathe_flac_encoder *e = client;
    while (bytes) {
        size_t k = BUF_BYTES - e->used < bytes ? BUF_BYTES - e->used : bytes;
        memcpy(e->buf + e->used, buf, k);
        e->used += k;
        buf += k;
        bytes -= k;
        if (e->used == BUF_BYTES && flush(e) != 0)
            return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
    }
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

/* The file starts at offset 0 (a new temporary file), so libFLAC's offsets are the file's. */
static FLAC__StreamEncoderSeekStatus seek(const FLAC__StreamEncoder *enc, FLAC__uint64 at,
                                          void *client)
{
    (void)enc;
    lathe_flac_encoder *e = client;
    return flush(e) != 0 || lseek(e->fd, (off_t)at, SEEK_SET) < 0
               ? FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR
               : FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}

static FLAC__StreamEncoderTellStatus tell(const FLAC__StreamEncoder *enc, FLAC__uint64 *at,
                                          void *client)
{
    (void)enc;
    const lathe_flac_encoder *e = client;
    off_t pos = lseek(e->fd, 0, SEEK_CUR);
    if (pos < 0)
        return FLAC__STREAM_ENCODER_TELL_STATUS_ERROR;
    *at = (FLAC__uint64)pos + e->used;
    return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

int lathe_flac_encoder_open(int fd, uint32_t rate, uint32_t channels, int bits,
                            lathe_flac_encoder **out, char *err, size_t err_size)
{
    lathe_flac_encoder *e = lathe_calloc(1, sizeof *e);
    FLAC__StreamEncoder *enc = e ? FLAC__stream_encoder_new() : NULL;
    if (!enc) {
        lathe_dealloc(e);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    e->enc = enc;
    e->fd = fd;
    int ok = FLAC__stream_encoder_set_channels(enc, channels) &&
             FLAC__stream_encoder_set_bits_per_sample(enc, (uint32_t)bits) &&
             FLAC__stream_encoder_set_sample_rate(enc, rate) &&
             FLAC__stream_encoder_set_compression_level(enc, LEVEL);
    /* the setters refuse only an encoder already initialised, which this one is not */
    FLAC__StreamEncoderInitStatus st =
        ok ? FLAC__stream_encoder_init_stream(enc, put, seek, tell, NULL, e)
           : FLAC__STREAM_ENCODER_INIT_STATUS_ALREADY_INITIALIZED;
    if (st != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
        snprintf(err, err_size, "FLAC encoder refused %u Hz, %u channels, %d bits: %s",
                 (unsigned)rate, (unsigned)channels, bits,
                 st == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR
                     ? FLAC__stream_encoder_get_resolved_state_string(enc)
                     : FLAC__StreamEncoderInitStatusString[st]);
        lathe_flac_encoder_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

int lathe_flac_encoder_write(lathe_flac_encoder *e, const int32_t *const *words, uint32_t n)
{
    return FLAC__stream_encoder_process(e->enc, (const FLAC__int32 *const *)words, n) ? 0 : -1;
}

int lathe_flac_encoder_finish(lathe_flac_encoder *e)
{
    int ok = FLAC__stream_encoder_finish(e->enc); /* its last writes: STREAMINFO, completed */
    return flush(e) == 0 && ok ? 0 : -1;
}

void lathe_flac_encoder_free(lathe_flac_encoder *e)
{
    if (!e)
        return;
    FLAC__stream_encoder_delete(e->enc);
    lathe_dealloc(e);
}
