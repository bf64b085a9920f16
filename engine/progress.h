/* progress.h - the one-line progress bar on stderr (only when asked: a terminal, no --quiet). */
#ifndef LATHE_PROGRESS_H
#define LATHE_PROGRESS_H

#include <stdint.h>

typedef struct lathe_progress {
    int on;
    const char *phase; /* "analysing", "rendering": named on the line */
    uint64_t total;
    uint32_t rate;
    double t0, last;
} lathe_progress;

void lathe_progress_begin(lathe_progress *p, int on, const char *phase, uint64_t total_frames,
                          uint32_t rate);
/* A phase without a frame count (a node measuring its input): its name alone, until the next
 * line replaces it. */
void lathe_progress_phase(int on, const char *phase);
void lathe_progress_update(lathe_progress *p, uint64_t frames);
void lathe_progress_end(lathe_progress *p);

#endif
