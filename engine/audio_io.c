/* Audio files read through libsndfile, in planar float32 (the writer is audio_writer.c).
 *
 * Integer formats are read through ints: a 24-bit -> float -> 24-bit round trip stays exact
 * (x = i / 2^31). Float files are read as they are, overs above full scale included. */
#define _POSIX_C_SOURCE 200809L
#include "audio_io.h"

#include "sfio.h"
#include "lathe/lathe.h"

#include <sndfile.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCRATCH_FRAMES 4096

struct lathe_audio_reader {
    lathe_sfio *io;
    SNDFILE *sf;
    SF_INFO info;
    int int_path; /* read through sf_readf_int */
    int *iscratch;
    float *fscratch;
    int64_t bad_frame;
    int bad_channel;
    uint64_t pos;
};

static const char *container_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64: return "wav";
    case SF_FORMAT_AIFF: return "aiff";
    case SF_FORMAT_FLAC: return "flac";
    case SF_FORMAT_OGG: return "ogg";
    case SF_FORMAT_CAF: return "caf";
    case SF_FORMAT_W64: return "w64";
    case SF_FORMAT_MPEG: return "mp3";
    default: return "other";
    }
}

static void describe(const SF_INFO *in, lathe_audio_info *info)
{
    int sub = in->format & SF_FORMAT_SUBMASK;
    info->format.rate = (uint32_t)in->samplerate;
    info->format.channels = (uint32_t)in->channels;
    info->format.frames = in->frames > 0 ? (uint64_t)in->frames : 0;
    info->is_float = sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
    switch (sub) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: info->bits = 8; break;
    case SF_FORMAT_PCM_16: info->bits = 16; break;
    case SF_FORMAT_PCM_24: info->bits = 24; break;
    case SF_FORMAT_PCM_32:
    case SF_FORMAT_FLOAT: info->bits = 32; break;
    case SF_FORMAT_DOUBLE: info->bits = 64; break;
    default: info->bits = 0; break; /* lossy: no word length */
    }
    info->container = container_name(in->format);
}

/* A cut-off copy (an interrupted transfer) must not master as a shorter song: libsndfile quietly
 * reads what is there and notes "data : N (should be M)" in its log when the data chunk's
 * declared length exceeds the file. */
static int data_truncated(SNDFILE *sf, long long *declared, long long *present)
{
    char log[8192] = "";
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    for (const char *p = log; (p = strstr(p, "data : ")) != NULL; p++) {
        if (sscanf(p, "data : %lld (should be %lld)", declared, present) == 2
            && *declared > *present)
            return 1;
    }
    return 0;
}

int lathe_audio_reader_open(const char *path, lathe_audio_reader **out, lathe_audio_info *info,
                            char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return LATHE_ERR_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory, expected an audio file", path);
        return LATHE_ERR_IO;
    }
    if (st.st_size == 0) {
        snprintf(err, err_size, "%s: empty file, expected audio", path);
        return LATHE_ERR_IO;
    }
    snprintf(err, err_size, "%s: out of memory", path); /* what every NOMEM return says */
    lathe_audio_reader *r = lathe_calloc(1, sizeof *r);
    if (!r)
        return LATHE_ERR_NOMEM;
    if (!(r->io = lathe_sfio_open(path))) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    r->sf = lathe_sfio_sndfile(r->io, &r->info);
    if (!r->sf) {
        snprintf(err, err_size, "%s: not a readable audio file (%s; lathe reads WAV, RF64, W64, "
                 "AIFF, FLAC, MP3, Ogg Vorbis/Opus and CAF: convert AAC/M4A first, e.g. with "
                 "ffmpeg -i in.m4a out.wav)", path, sf_strerror(NULL));
        goto fail;
    }
    if (r->info.channels < 1 || r->info.channels > LATHE_MAX_CHANNELS) {
        snprintf(err, err_size, "%s: %d channels (1 to %d supported)", path, r->info.channels,
                 LATHE_MAX_CHANNELS);
        goto fail;
    }
    if (r->info.samplerate < 8000 || r->info.samplerate > 768000) {
        snprintf(err, err_size, "%s: sample rate %d Hz out of range [8000, 768000]", path,
                 r->info.samplerate);
        goto fail;
    }
    if (r->info.frames <= 0) {
        snprintf(err, err_size, "%s: no audio frames (empty or truncated data)", path);
        goto fail;
    }
    long long declared, present;
    if (data_truncated(r->sf, &declared, &present)) {
        snprintf(err, err_size, "%s: truncated: its header declares %lld bytes of audio, the file "
                 "holds %lld", path, declared, present);
        goto fail;
    }
    int sub = r->info.format & SF_FORMAT_SUBMASK;
    r->int_path = sub == SF_FORMAT_PCM_S8 || sub == SF_FORMAT_PCM_U8 || sub == SF_FORMAT_PCM_16
               || sub == SF_FORMAT_PCM_24 || sub == SF_FORMAT_PCM_32;
    r->iscratch = lathe_alloc(sizeof(int) * SCRATCH_FRAMES * (size_t)r->info.channels);
    r->fscratch = lathe_alloc(sizeof(float) * SCRATCH_FRAMES * (size_t)r->info.channels);
    if (!r->iscratch || !r->fscratch) {
        lathe_audio_reader_free(r);
        return LATHE_ERR_NOMEM;
    }
    r->bad_frame = -1;
    describe(&r->info, info);
    *out = r;
    return LATHE_OK;
fail:
    lathe_audio_reader_free(r);
    return LATHE_ERR_IO;
}

static void check_bad(lathe_audio_reader *r, const float *x, uint32_t n, uint32_t ch)
{
    if (r->bad_frame >= 0)
        return;
    for (uint32_t i = 0; i < n * ch; i++)
        if (!isfinite(x[i])) {
            r->bad_frame = (int64_t)(r->pos + i / ch);
            r->bad_channel = (int)(i % ch);
            return;
        }
}

static int lossy_container(int format)
{
    int major = format & SF_FORMAT_TYPEMASK;
    return major == SF_FORMAT_MPEG || major == SF_FORMAT_OGG;
}

long lathe_audio_reader_read(lathe_audio_reader *r, float *const *bufs, uint32_t max)
{
    const uint32_t ch = (uint32_t)r->info.channels;
    uint32_t done = 0;
    while (done < max) {
        uint32_t want = max - done < SCRATCH_FRAMES ? max - done : SCRATCH_FRAMES;
        sf_count_t got;
        if (r->int_path) {
            got = sf_readf_int(r->sf, r->iscratch, want);
            for (sf_count_t i = 0; i < got * (sf_count_t)ch; i++)
                r->fscratch[i] = (float)r->iscratch[i] * (1.0f / 2147483648.0f);
        } else {
            got = sf_readf_float(r->sf, r->fscratch, want);
            check_bad(r, r->fscratch, (uint32_t)(got > 0 ? got : 0), ch);
        }
        if (got < 0)
            return -1;
        for (uint32_t c = 0; c < ch; c++) {
            float *dst = bufs[c] + done;
            for (sf_count_t i = 0; i < got; i++)
                dst[i] = r->fscratch[i * ch + c];
        }
        done += (uint32_t)got;
        r->pos += (uint64_t)got;
        if ((uint32_t)got < want)
            break;
    }
    /* A lossless file that ends before the length its header declares is damaged: every command
     * must call it unreadable, not measure the part that is there. Lossy decoders' declared
     * lengths are estimates. */
    if (done < max && r->pos < (uint64_t)r->info.frames && !lossy_container(r->info.format))
        return -1;
    return (long)done;
}

int lathe_audio_reader_seek(lathe_audio_reader *r, uint64_t frame)
{
    if (sf_seek(r->sf, (sf_count_t)frame, SEEK_SET) < 0)
        return LATHE_ERR_IO;
    r->pos = frame;
    return LATHE_OK;
}

int64_t lathe_audio_reader_bad_sample(const lathe_audio_reader *r, int *channel)
{
    if (channel)
        *channel = r->bad_channel;
    return r->bad_frame;
}

void lathe_audio_reader_free(lathe_audio_reader *r)
{
    if (!r)
        return;
    if (r->sf)
        sf_close(r->sf);
    lathe_sfio_free(r->io);
    lathe_dealloc(r->iscratch);
    lathe_dealloc(r->fscratch);
    lathe_dealloc(r);
}
