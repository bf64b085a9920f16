/* flac_tags.h - writes a FLAC file's Vorbis comments (TITLE, ARTIST, ISRC, ...).
 *
 * libsndfile stores only its fixed set of strings and no ISRC, so after it has closed a FLAC file
 * the metadata is rewritten here: the VORBIS_COMMENT block (type 4) is replaced, or inserted
 * after STREAMINFO, the last-block flag is set on the real last block, and the audio frames are
 * copied as they are in bounded chunks. */
#ifndef LATHE_FLAC_TAGS_H
#define LATHE_FLAC_TAGS_H

#include <stddef.h>
#include <stdio.h>

/* [main] Reads the FLAC file src and writes to out (flushed, not closed): the same file with its
 * Vorbis comments replaced by tags (key, value, key, value, ...; n_tags pairs, written in that
 * order with the keys in upper case). The existing block's vendor string is kept ("lathe" when
 * src has none). Returns 0, or -1 with a one-line reason (naming src) in err; out may then hold
 * a partial file, which the caller removes. */
int lathe_flac_tags_rewrite(const char *src, FILE *out, const char *const *tags, int n_tags,
                            char *err, size_t err_size);

#endif
