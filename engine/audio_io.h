/* audio_io.h - reading and writing audio files in planar float32: through libsndfile, FLAC
 * written through libFLAC (audio_io.c reads, audio_writer.c writes).
 *
 * Reading keeps float samples above full scale as they are (never clipped) and accepts the
 * short-`fmt` WAVs some DAWs write. Writing goes to a temporary file beside the target; only
 * lathe_audio_writer_commit() renames it into place, so no partial file is ever left at a final
 * path. Conversion to integer formats clips only at the very end and counts what it clipped. */
#ifndef LATHE_AUDIO_IO_H
#define LATHE_AUDIO_IO_H

#include "lathe/lathe_node.h"

#include <stdint.h>

typedef struct lathe_audio_reader lathe_audio_reader;
typedef struct lathe_audio_writer lathe_audio_writer;

typedef enum lathe_audio_format {
    LATHE_FMT_AUTO = 0, /* from the extension */
    LATHE_FMT_WAV,
    LATHE_FMT_FLAC,
    LATHE_FMT_AIFF,
    LATHE_FMT_RAW,  /* headerless little-endian PCM, interleaved (.dat/.raw/.pcm: DDP IMAGE.DAT) */
    LATHE_FMT_MP3,  /* MPEG-1 Layer III, constant bitrate (LAME through libsndfile), ID3v2.4 tags */
    LATHE_FMT_OPUS, /* Ogg Opus (.opus), Vorbis comments */
    LATHE_FMT_VORBIS /* Ogg Vorbis (.ogg/.oga), Vorbis comments */
} lathe_audio_format;

/* 1 for the lossy formats: what they store is not the samples written (a decoder gives back
 * something else), so they are measured from the decoded file. */
int lathe_audio_format_is_lossy(lathe_audio_format f);

typedef struct lathe_audio_info {
    lathe_format format;
    int bits;       /* 8, 16, 24, 32 (int), 32/64 float reported as 32/64 with is_float */
    int is_float;
    const char *container; /* "wav", "flac", "aiff", "ogg", "mp3", ... */
} lathe_audio_info;

/* [main] Opens path for reading. On failure returns LATHE_ERR_IO and writes a one-line reason
 * (naming the file) into err. */
int lathe_audio_reader_open(const char *path, lathe_audio_reader **out, lathe_audio_info *info,
                            char *err, size_t err_size);
/* Reads up to max frames into planar buffers; returns frames read (0 at the end), negative on
 * a read error. NaN/Inf samples are reported through lathe_audio_reader_bad_sample(). */
long lathe_audio_reader_read(lathe_audio_reader *r, float *const *bufs, uint32_t max);
int lathe_audio_reader_seek(lathe_audio_reader *r, uint64_t frame);
/* First frame holding a NaN or Inf, or -1. */
int64_t lathe_audio_reader_bad_sample(const lathe_audio_reader *r, int *channel);
void lathe_audio_reader_free(lathe_audio_reader *r);

typedef struct lathe_audio_writer_config {
    lathe_audio_format container;
    int bits;      /* 16 or 24 integer, 32 float (WAV only); ignored by the lossy formats */
    uint32_t rate;
    uint32_t channels;
    int bitrate_kbps; /* lossy formats: MP3 32..320 (a standard CBR rate; 0: 320), Opus 6..256 per
                       * channel (0: 160 stereo), Vorbis nominal 64..500 (VBR; 0: 256) */
    uint64_t frames;  /* the length to be written, 0 unknown: a WAV whose data passes 4 GiB is
                       * written as RF64 (a plain RIFF size would wrap); AIFF that large is refused */
} lathe_audio_writer_config;

/* [main] Whether a writer could be opened with cfg (bits, bitrate and rate the format can
 * store), before anything is rendered: LATHE_OK, or LATHE_ERR_PARAM / LATHE_ERR_FORMAT with a
 * one-line reason in err. */
int lathe_audio_writer_check(const lathe_audio_writer_config *cfg, char *err, size_t err_size);
/* [main] Creates a temporary file beside path. */
int lathe_audio_writer_open(const char *path, const lathe_audio_writer_config *cfg,
                            lathe_audio_writer **out, char *err, size_t err_size);
/* Appends frames; integer formats round to nearest and clip at full scale, counting clips. */
int lathe_audio_writer_write(lathe_audio_writer *w, const float *const *bufs, uint32_t n_frames);
uint64_t lathe_audio_writer_clipped(const lathe_audio_writer *w);
/* Sets a metadata string before commit (a key set twice keeps the last value). FLAC stores every
 * key as a Vorbis comment (ISRC included, names upper-cased, sorted); WAV and AIFF store what
 * libsndfile can (title, artist, album, tracknumber, date, comment, genre, copyright, software)
 * and LATHE_ERR_PARAM says another key was not written. */
int lathe_audio_writer_set_tag(lathe_audio_writer *w, const char *key, const char *value);
/* Flushes, closes and renames into place. */
int lathe_audio_writer_commit(lathe_audio_writer *w, char *err, size_t err_size);
/* Removes the temporary file (also what _free does for an uncommitted writer). */
void lathe_audio_writer_free(lathe_audio_writer *w);

lathe_audio_format lathe_audio_format_from_path(const char *path);

#endif
