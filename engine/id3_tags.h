/* id3_tags.h - writes an MP3 file's ID3v2.4 tag (title, artist, ISRC, ...).
 *
 * libsndfile's MPEG encoder writes no tag at all, so after it has closed the file the tag is put
 * in front here: an ID3v2.4 header, one UTF-8 text frame per tag (the well-known keys to their
 * frames: title TIT2, artist TPE1, album TALB, isrc TSRC, ...; any other key as a TXXX frame
 * named by the key), then the MPEG stream copied as it is. */
#ifndef LATHE_ID3_TAGS_H
#define LATHE_ID3_TAGS_H

#include <stddef.h>
#include <stdio.h>

/* [main] Reads the MP3 file src and writes it to out (an empty stream; flushed, not closed) with
 * the tag in front (tags: key, value, ...; n_tags pairs). Returns 0, or -1 with a one-line reason
 * naming src in err; out may then hold a partial file, which the caller removes. */
int lathe_id3_tags_rewrite(const char *src, FILE *out, const char *const *tags, int n_tags,
                           char *err, size_t err_size);

#endif
