/* flac_encoder.h - FLAC files through libFLAC itself, for the audio writer (audio_writer.c).
 *
 * libsndfile's FLAC path takes interleaved, left-justified words, shifts each one and hands them
 * to libFLAC, which splits them into channels again: two passes over every sample that a planar
 * writer does not need (4% of a streaming re-render). The settings are the ones libsndfile used
 * (level 3, streamable subset, the same metadata), so the files are the same bytes. */
#ifndef LATHE_FLAC_ENCODER_H
#define LATHE_FLAC_ENCODER_H

#include <stddef.h>
#include <stdint.h>

typedef struct lathe_flac_encoder lathe_flac_encoder;

/* [main] An encoder writing to fd (seekable: STREAMINFO is completed at the end; the caller
 * keeps the descriptor). bits 16 or 24. Returns 0, or -1 with a one-line reason in err. */
int lathe_flac_encoder_open(int fd, uint32_t rate, uint32_t channels, int bits,
                            lathe_flac_encoder **out, char *err, size_t err_size);
/* Appends n frames, planar words right-justified (within +-2^(bits-1)). 0, or -1 when the file
 * could not be written (the encoder is unusable from then on). */
int lathe_flac_encoder_write(lathe_flac_encoder *e, const int32_t *const *words, uint32_t n);
/* Encodes what is buffered and completes the header; 0, or -1 on a write error. */
int lathe_flac_encoder_finish(lathe_flac_encoder *e);
/* Frees the encoder (finished or not: an unfinished file is left for the caller to remove). */
void lathe_flac_encoder_free(lathe_flac_encoder *e);

#endif
