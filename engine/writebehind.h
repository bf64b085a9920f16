/* writebehind.h - encodes an output file on its own thread, behind the render that feeds it.
 *
 * A sink both writes its file and measures it; encoding FLAC costs more than the meters, so the
 * two run side by side: write() copies the frames and returns, a thread converts and encodes
 * them in order. The file's bytes are exactly those of writing in place (libFLAC frames its
 * input in fixed blocks, whatever the calls). Without a thread (not asked for, or
 * pthread_create failing) it writes in place. */
#ifndef LATHE_WRITEBEHIND_H
#define LATHE_WRITEBEHIND_H

#include "audio_io.h"

typedef struct lathe_writebehind lathe_writebehind;

/* [main] Starts a thread writing into w (not owned: commit or free it after finish/free); with
 * thread = 0 (one thread asked for: -j 1) every write goes to w in place. LATHE_OK or
 * LATHE_ERR_NOMEM. */
int lathe_writebehind_new(lathe_audio_writer *w, uint32_t channels, int thread,
                          lathe_writebehind **out);
/* Queues n frames (copied; waits while the queue is full). LATHE_ERR_IO once a write failed. */
int lathe_writebehind_write(lathe_writebehind *wb, const float *const *bufs, uint32_t n);
/* Waits until every queued frame is written. LATHE_OK or LATHE_ERR_IO. */
int lathe_writebehind_finish(lathe_writebehind *wb);
/* Stops the thread (dropping frames not yet written) and frees. */
void lathe_writebehind_free(lathe_writebehind *wb);

#endif
