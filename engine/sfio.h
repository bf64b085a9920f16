/* sfio.h - libsndfile reading through lathe's own buffered file access.
 *
 * libsndfile's FLAC reader asks the file for its position before every read and reads 8 KiB
 * at a time: some 13,000 system calls for a 4-minute song. Through its virtual I/O the same
 * bytes come from a 256 KiB buffer, the position from memory, and decoding stays in user
 * space. The bytes libsndfile sees, and so every sample, are the same. */
#ifndef LATHE_SFIO_H
#define LATHE_SFIO_H

#include <sndfile.h>

typedef struct lathe_sfio lathe_sfio;

/* Opens path for reading; NULL with errno set when the file cannot be opened (or memory is
 * short), else a handle to pass to lathe_sfio_sndfile() and free after sf_close(). */
lathe_sfio *lathe_sfio_open(const char *path);
/* sf_open() through the handle: NULL when libsndfile cannot read it (sf_strerror(NULL) says
 * why). */
SNDFILE *lathe_sfio_sndfile(lathe_sfio *io, SF_INFO *info);
void lathe_sfio_free(lathe_sfio *io);

#endif
