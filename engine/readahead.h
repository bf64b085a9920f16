/* readahead.h - decodes an audio file on its own thread, one block ahead of its reader.
 *
 * Measuring a file (`lathe analyze`, `lathe check`) is decode, then meters. Decoding FLAC costs
 * as much as a meter, so it runs beside them: the reader takes block k while block k + 1 is
 * decoded. The blocks and their order are exactly what lathe_audio_reader_read() gives; only
 * the time they take changes. Without a thread (pthread_create failing) it reads in place. */
#ifndef LATHE_READAHEAD_H
#define LATHE_READAHEAD_H

#include "audio_io.h"

typedef struct lathe_readahead lathe_readahead;

/* [main] Starts reading rd (which it does not own; free it after lathe_readahead_free) in
 * blocks of block_frames. Returns LATHE_OK or LATHE_ERR_NOMEM. */
int lathe_readahead_new(lathe_audio_reader *rd, uint32_t channels, uint32_t block_frames,
                        lathe_readahead **out);
/* The next block: frames (0 at the end, negative on a read error); *ch receives planar
 * buffers valid until the next call. *bad_frame (with *bad_channel) is the reader's first
 * NaN/Inf frame as of this block, or -1. */
long lathe_readahead_next(lathe_readahead *ra, const float *const **ch, int64_t *bad_frame,
                          int *bad_channel);
/* Stops the thread (also before the end of the file) and frees the buffers. */
void lathe_readahead_free(lathe_readahead *ra);

#endif
