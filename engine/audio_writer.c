/* Audio files written in planar float32: integer words converted here, then libsndfile (WAV,
 * AIFF, raw and the lossy formats) or libFLAC (flac_encoder.h), into a temporary file that
 * commit renames into place.
 *
 * Integer formats are converted here rather than by libsndfile: its float->int write path scales
 * by 0x7FFF, which would move every dithered value off its LSB grid. */
#define _POSIX_C_SOURCE 200809L
#include "audio_io.h"
#include "safe_file.h"

#include "flac_encoder.h"
#include "flac_tags.h"
#include "id3_tags.h"
#include "lathe/lathe.h"

#include <sndfile.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCRATCH_FRAMES 4096

struct lathe_audio_writer {
    SNDFILE *sf;               /* every format but FLAC */
    lathe_flac_encoder *flac;  /* FLAC */
    char *path;
    lathe_safe_file file; /* the temporary file renamed into place on commit */
    int file_open;
    lathe_audio_writer_config cfg;
    int32_t *iscratch;
    float *fscratch;
    uint64_t clipped;
    int failed;
    char **tags; /* key, value, ...: sorted by key, case-insensitively, one value per key */
    int n_tags, cap_tags;
};

lathe_audio_format lathe_audio_format_from_path(const char *path)
{
    /* A path's extension, or a bare format name ("flac") as output options give it. */
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash))
        dot = slash ? slash + 1 : path;
    if (*dot == '.')
        dot++;
    if (!strcasecmp(dot, "wav"))
        return LATHE_FMT_WAV;
    if (!strcasecmp(dot, "flac"))
        return LATHE_FMT_FLAC;
    if (!strcasecmp(dot, "aif") || !strcasecmp(dot, "aiff"))
        return LATHE_FMT_AIFF;
    if (!strcasecmp(dot, "dat") || !strcasecmp(dot, "raw") || !strcasecmp(dot, "pcm"))
        return LATHE_FMT_RAW;
    if (!strcasecmp(dot, "mp3"))
        return LATHE_FMT_MP3;
    if (!strcasecmp(dot, "opus"))
        return LATHE_FMT_OPUS;
    if (!strcasecmp(dot, "ogg") || !strcasecmp(dot, "oga"))
        return LATHE_FMT_VORBIS;
    return LATHE_FMT_AUTO;
}

int lathe_audio_format_is_lossy(lathe_audio_format f)
{
    return f == LATHE_FMT_MP3 || f == LATHE_FMT_OPUS || f == LATHE_FMT_VORBIS;
}

/* libsndfile sets a lossy encoder's bitrate through one "compression level" from 0 to 1:
 * MP3 from 320 down to 32 kbit/s, snapped by LAME to the nearest standard rate; Opus linearly from
 * 256 kbit/s per channel down to 6 kbit/s in all; Vorbis through its VBR quality (1 - level, the
 * tenths of oggenc's -q scale), whose nominal bitrates for stereo are oggenc's. Returns the level,
 * or -1 with the reason in err when the bitrate or rate cannot be had. */
static double lossy_level(const lathe_audio_writer_config *cfg, char *err, size_t n)
{
    static const int mp3_rates[] = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
    static const int vorbis_kbps[] = {64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 500};
    int k = cfg->bitrate_kbps, ch = (int)cfg->channels;
    uint32_t r = cfg->rate;
    switch (cfg->container) {
    case LATHE_FMT_MP3:
        if (r != 32000 && r != 44100 && r != 48000) {
            snprintf(err, n, "mp3 needs 32, 44.1 or 48 kHz, not %u Hz (resample first)", r);
            return -1;
        }
        k = k ? k : 320;
        for (size_t i = 0; i < sizeof mp3_rates / sizeof mp3_rates[0]; i++)
            if (mp3_rates[i] == k)
                return (320.0 - k) / 288.0;
        snprintf(err, n, "bitrate_kbps %d is not an MP3 rate (32, 40, 48, 56, 64, 80, 96, 112, "
                         "128, 160, 192, 224, 256, 320)", k);
        return -1;
    case LATHE_FMT_OPUS:
        if (r != 48000 && r != 24000 && r != 16000 && r != 12000 && r != 8000) {
            snprintf(err, n, "opus needs 48 kHz (or 24, 16, 12, 8), not %u Hz (resample first)", r);
            return -1;
        }
        k = k ? k : 80 * ch;
        if (k < 6 || k > 256 * ch) {
            snprintf(err, n, "bitrate_kbps %d out of range [6, %d] for %d-channel Opus", k,
                     256 * ch, ch);
            return -1;
        }
        return (256.0 * ch - k) / (256.0 * ch - 6.0);
    default: /* Vorbis */
        k = k ? k : 256;
        if (k < 64 || k > 500) {
            snprintf(err, n, "bitrate_kbps %d out of range [64, 500] for Vorbis", k);
            return -1;
        }
        for (int i = 1; i < 11; i++)
            if (k <= vorbis_kbps[i]) {
                double q = i - 1 + (double)(k - vorbis_kbps[i - 1]) /
                                       (vorbis_kbps[i] - vorbis_kbps[i - 1]);
                return 1.0 - q / 10.0;
            }
        return 0.0;
    }
}

static int sf_format_for(const lathe_audio_writer_config *cfg, char *err, size_t n)
{
    if (cfg->container == LATHE_FMT_MP3)
        return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    if (cfg->container == LATHE_FMT_OPUS)
        return SF_FORMAT_OGG | SF_FORMAT_OPUS;
    if (cfg->container == LATHE_FMT_VORBIS)
        return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    int major = cfg->container == LATHE_FMT_FLAC ? SF_FORMAT_FLAC
              : cfg->container == LATHE_FMT_AIFF ? SF_FORMAT_AIFF
              : cfg->container == LATHE_FMT_RAW ? SF_FORMAT_RAW | SF_ENDIAN_LITTLE : SF_FORMAT_WAV;
    int sub;
    switch (cfg->bits) {
    case 16: sub = SF_FORMAT_PCM_16; break;
    case 24: sub = SF_FORMAT_PCM_24; break;
    case 32: sub = SF_FORMAT_FLOAT; break;
    default: sub = 0; break;
    }
    if (!sub || (major == SF_FORMAT_FLAC && cfg->bits == 32)) {
        snprintf(err, n, "bits %d not available for this format (16 or 24%s)", cfg->bits,
                 major == SF_FORMAT_FLAC ? "" : ", or 32 for float");
        return 0;
    }
    if (major == SF_FORMAT_FLAC && cfg->rate > 655350) {
        snprintf(err, n, "FLAC stores rates up to 655350 Hz, not %u (resample, or write .wav)",
                 (unsigned)cfg->rate);
        return 0;
    }
    /* RIFF and AIFF sizes are 32-bit: leave room for the header and metadata chunks. */
    uint64_t bytes = cfg->frames * cfg->channels * (uint64_t)(cfg->bits / 8);
    int huge = bytes > 0xFFFFFFFFull - (1u << 20);
    if (huge && major == SF_FORMAT_AIFF) {
        snprintf(err, n, "%.1f GiB of audio does not fit an AIFF file (4 GiB): write .wav (RF64) "
                 "or .flac", (double)bytes / (1u << 30));
        return 0;
    }
    if (huge && major == SF_FORMAT_WAV)
        major = SF_FORMAT_RF64;
    return major | sub;
}

int lathe_audio_writer_check(const lathe_audio_writer_config *cfg, char *err, size_t err_size)
{
    if (!sf_format_for(cfg, err, err_size))
        return LATHE_ERR_PARAM;
    if (lathe_audio_format_is_lossy(cfg->container) && lossy_level(cfg, err, err_size) < 0)
        return LATHE_ERR_FORMAT;
    return LATHE_OK;
}

int lathe_audio_writer_open(const char *path, const lathe_audio_writer_config *cfg,
                            lathe_audio_writer **out, char *err, size_t err_size)
{
    char why[160];
    int rc = lathe_audio_writer_check(cfg, why, sizeof why);
    if (rc != LATHE_OK) {
        snprintf(err, err_size, "%s: %s", path, why);
        return rc;
    }
    int format = sf_format_for(cfg, why, sizeof why);
    double level = lathe_audio_format_is_lossy(cfg->container) ? lossy_level(cfg, why, sizeof why)
                                                                : 0.0;
    snprintf(err, err_size, "%s: out of memory", path); /* what every NOMEM return says */
    lathe_audio_writer *w = lathe_calloc(1, sizeof *w);
    if (!w)
        return LATHE_ERR_NOMEM;
    w->cfg = *cfg;
    w->path = lathe_strdup(path);
    w->iscratch = lathe_alloc(sizeof(int32_t) * SCRATCH_FRAMES * cfg->channels);
    const int flac = cfg->container == LATHE_FMT_FLAC; /* planar: no interleaved floats */
    w->fscratch = flac ? NULL : lathe_alloc(sizeof(float) * SCRATCH_FRAMES * cfg->channels);
    if (!w->path || !w->iscratch || (!flac && !w->fscratch)) {
        lathe_audio_writer_free(w);
        return LATHE_ERR_NOMEM;
    }
    /* The temporary file sits beside the target, so the final rename stays on one filesystem. */
    if (lathe_safe_open(&w->file, NULL, path, err, err_size) != 0) {
        lathe_audio_writer_free(w);
        return LATHE_ERR_IO;
    }
    w->file_open = 1;
    if (flac) {
        if (lathe_flac_encoder_open(w->file.fd, cfg->rate, cfg->channels, cfg->bits, &w->flac,
                                    why, sizeof why) != 0) {
            snprintf(err, err_size, "%s: cannot write: %s", path, why);
            lathe_audio_writer_free(w);
            return LATHE_ERR_IO;
        }
        *out = w;
        return LATHE_OK;
    }
    SF_INFO info = {.samplerate = (int)cfg->rate, .channels = (int)cfg->channels, .format = format};
    w->sf = sf_open_fd(w->file.fd, SFM_WRITE, &info, SF_FALSE);
    if (!w->sf) {
        snprintf(err, err_size, "%s: cannot write: %s", path, sf_strerror(NULL));
        lathe_audio_writer_free(w);
        return LATHE_ERR_IO;
    }
    /* The PEAK chunk of float WAVs carries a timestamp: two renders would differ in bytes. */
    sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    if (lathe_audio_format_is_lossy(cfg->container)) {
        int mode = cfg->container == LATHE_FMT_VORBIS ? SF_BITRATE_MODE_VARIABLE
                                                      : SF_BITRATE_MODE_CONSTANT;
        sf_command(w->sf, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
        sf_command(w->sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    }
    *out = w;
    return LATHE_OK;
}

/* Rounds x * 2^(bits-1) to the nearest integer, ties to even (as nearbyint in the default
 * rounding mode: the same words, checked against it on 10^8 values of every kind), clamps to the
 * word, counts what had to be clamped and shifts the word left by `shift` (32 - bits: the
 * left-justified words sf_writef_int expects; 0: libFLAC's). In float and int32 only, without a
 * libm call, so the loop vectorises: x times a power of two is exact, and so is its fraction
 * after truncation, for everything that is not clamped anyway (|v| <= 2^23 + 1). Compiled for
 * AVX2 too, as nodes/dsp/simd.h does (the engine does not see the DSP library). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define TO_INT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TO_INT_CLONES
#endif
#if defined(__GNUC__) && !defined(__clang__)
/* Its compares then vectorise as selects: they raise no exception anyone reads (the values are
 * the same either way). */
__attribute__((optimize("no-trapping-math")))
#endif
TO_INT_CLONES
static void to_int(lathe_audio_writer *w, const float *restrict x, int32_t *restrict y, size_t n,
                   int shift)
{
    const int bits = w->cfg.bits;
    const float scale = (float)(1u << (bits - 1)), top = scale, bottom = -scale - 1.0f;
    const int32_t hi = (int32_t)(1u << (bits - 1)) - 1, lo = -hi - 1;
    uint32_t clipped = 0; /* n is at most a scratch buffer */
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * scale;
        int32_t nan = v != v;
        uint32_t u; /* a NaN to 0 as a mask: a select there kept the AVX2 clone scalar */
        memcpy(&u, &v, sizeof u);
        u &= (uint32_t)nan - 1u;
        memcpy(&v, &u, sizeof v);
        v = v < bottom ? bottom : v;
        v = v > top ? top : v;
        int32_t t = (int32_t)v;
        float f = v - (float)t;
        t += ((f > 0.5f) | ((f == 0.5f) & t)) & 1;
        t -= ((f < -0.5f) | ((f == -0.5f) & t)) & 1;
        clipped += (uint32_t)((t > hi) | (t < lo) | nan);
        t = t > hi ? hi : t;
        t = t < lo ? lo : t;
        y[i] = (int32_t)((uint32_t)t << shift);
    }
    w->clipped += clipped;
}

/* FLAC: each channel's words into its own stretch of the scratch, handed over as they are. */
static int write_flac(lathe_audio_writer *w, const float *const *bufs, uint32_t n_frames)
{
    const int32_t *planes[LATHE_MAX_CHANNELS];
    for (uint32_t done = 0; done < n_frames && !w->failed;) {
        uint32_t n = n_frames - done < SCRATCH_FRAMES ? n_frames - done : SCRATCH_FRAMES;
        for (uint32_t c = 0; c < w->cfg.channels; c++) {
            to_int(w, bufs[c] + done, w->iscratch + (size_t)c * SCRATCH_FRAMES, n, 0);
            planes[c] = w->iscratch + (size_t)c * SCRATCH_FRAMES;
        }
        w->failed = lathe_flac_encoder_write(w->flac, planes, n) != 0;
        done += n;
    }
    return w->failed ? LATHE_ERR_IO : LATHE_OK;
}

int lathe_audio_writer_write(lathe_audio_writer *w, const float *const *bufs, uint32_t n_frames)
{
    if (w->flac)
        return write_flac(w, bufs, n_frames);
    const uint32_t ch = w->cfg.channels;
    uint32_t done = 0;
    while (done < n_frames && !w->failed) {
        uint32_t n = n_frames - done < SCRATCH_FRAMES ? n_frames - done : SCRATCH_FRAMES;
        for (uint32_t c = 0; c < ch; c++)
            for (uint32_t i = 0; i < n; i++)
                w->fscratch[i * ch + c] = bufs[c][done + i];
        sf_count_t put;
        if (w->cfg.bits == 32 || lathe_audio_format_is_lossy(w->cfg.container)) {
            put = sf_writef_float(w->sf, w->fscratch, n);
        } else {
            to_int(w, w->fscratch, w->iscratch, (size_t)n * ch, 32 - w->cfg.bits);
            put = sf_writef_int(w->sf, w->iscratch, n);
        }
        if (put != (sf_count_t)n)
            w->failed = 1;
        done += n;
    }
    return w->failed ? LATHE_ERR_IO : LATHE_OK;
}

uint64_t lathe_audio_writer_clipped(const lathe_audio_writer *w)
{
    return w->clipped;
}

/* WAV and AIFF carry libsndfile's fixed set of strings; FLAC carries every tag, written as
 * Vorbis comments once libFLAC has finished the file (commit). */
static int sf_tag(lathe_audio_writer *w, const char *key, const char *value)
{
    static const struct { const char *key; int id; } ids[] = {
        {"title", SF_STR_TITLE}, {"artist", SF_STR_ARTIST}, {"album", SF_STR_ALBUM},
        {"tracknumber", SF_STR_TRACKNUMBER}, {"date", SF_STR_DATE}, {"comment", SF_STR_COMMENT},
        {"genre", SF_STR_GENRE}, {"copyright", SF_STR_COPYRIGHT}, {"software", SF_STR_SOFTWARE},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (strcasecmp(ids[i].key, key) == 0)
            return sf_set_string(w->sf, ids[i].id, value) == 0 ? LATHE_OK : LATHE_ERR_IO;
    return LATHE_ERR_PARAM;
}

static int keep_tag(lathe_audio_writer *w, const char *key, const char *value)
{
    int at = 0;
    while (at < w->n_tags && strcasecmp(w->tags[2 * at], key) < 0)
        at++;
    char *v = lathe_strdup(value);
    if (!v)
        return LATHE_ERR_NOMEM;
    if (at < w->n_tags && strcasecmp(w->tags[2 * at], key) == 0) {
        lathe_dealloc(w->tags[2 * at + 1]);
        w->tags[2 * at + 1] = v;
        return LATHE_OK;
    }
    char *k = lathe_strdup(key);
    if (w->n_tags == w->cap_tags) {
        int cap = w->cap_tags ? 2 * w->cap_tags : 8;
        char **t = lathe_alloc(sizeof *t * 2 * (size_t)cap);
        if (t && w->tags)
            memcpy(t, w->tags, sizeof *t * 2 * (size_t)w->n_tags);
        if (t) {
            lathe_dealloc(w->tags);
            w->tags = t;
            w->cap_tags = cap;
        }
    }
    if (!k || w->n_tags == w->cap_tags) {
        lathe_dealloc(k);
        lathe_dealloc(v);
        return LATHE_ERR_NOMEM;
    }
    memmove(w->tags + 2 * at + 2, w->tags + 2 * at, sizeof *w->tags * 2 * (size_t)(w->n_tags - at));
    w->tags[2 * at] = k;
    w->tags[2 * at + 1] = v;
    w->n_tags++;
    return LATHE_OK;
}

int lathe_audio_writer_set_tag(lathe_audio_writer *w, const char *key, const char *value)
{
    int rc = keep_tag(w, key, value);
    if (rc != LATHE_OK || w->cfg.container == LATHE_FMT_FLAC || w->cfg.container == LATHE_FMT_RAW
        || w->cfg.container == LATHE_FMT_MP3)
        return rc;
    return sf_tag(w, key, value);
}

/* Rewrites the closed temporary FLAC or MP3 with every tag into a second temporary file, which
 * then becomes the one renamed into place. */
static int rewrite_tags(lathe_audio_writer *w, char *err, size_t err_size)
{
    lathe_safe_file tagged;
    if (lathe_safe_open(&tagged, NULL, w->path, err, err_size) != 0)
        return LATHE_ERR_IO;
    FILE *out = lathe_safe_stream(&tagged);
    int (*rewrite)(const char *, FILE *, const char *const *, int, char *, size_t) =
        w->cfg.container == LATHE_FMT_MP3 ? lathe_id3_tags_rewrite : lathe_flac_tags_rewrite;
    int rc = out ? rewrite(w->file.tmp_path, out, (const char *const *)w->tags, w->n_tags, err,
                           err_size)
                 : (snprintf(err, err_size, "%s: out of memory", w->path), -1);
    if (out && fclose(out) != 0 && rc == 0) {
        snprintf(err, err_size, "%s: write failed (disk full?)", w->path);
        rc = -1;
    }
    if (rc != 0) {
        lathe_safe_abandon(&tagged);
        return LATHE_ERR_IO;
    }
    lathe_safe_abandon(&w->file);
    w->file = tagged;
    return LATHE_OK;
}

int lathe_audio_writer_commit(lathe_audio_writer *w, char *err, size_t err_size)
{
    int rc = w->failed ? -1 : w->flac ? lathe_flac_encoder_finish(w->flac) : sf_close(w->sf);
    w->sf = NULL;
    lathe_flac_encoder_free(w->flac);
    w->flac = NULL;
    if (rc != 0) {
        snprintf(err, err_size, "%s: write failed (disk full or file too large?)", w->path);
        return LATHE_ERR_IO;
    }
    if ((w->cfg.container == LATHE_FMT_FLAC || w->cfg.container == LATHE_FMT_MP3) && w->n_tags
        && (rc = rewrite_tags(w, err, err_size)))
        return rc;
    if (lathe_safe_commit(&w->file) != 0) {
        snprintf(err, err_size, "%s: cannot move into place: %s", w->path, strerror(errno));
        return LATHE_ERR_IO;
    }
    return LATHE_OK;
}

void lathe_audio_writer_free(lathe_audio_writer *w)
{
    if (!w)
        return;
    if (w->sf)
        sf_close(w->sf);
    lathe_flac_encoder_free(w->flac); /* before the file it writes to is removed */
    if (w->file_open)
        lathe_safe_abandon(&w->file);
    lathe_dealloc(w->path);
    lathe_dealloc(w->iscratch);
    lathe_dealloc(w->fscratch);
    for (int t = 0; t < 2 * w->n_tags; t++)
        lathe_dealloc(w->tags[t]);
    lathe_dealloc(w->tags);
    lathe_dealloc(w);
}
