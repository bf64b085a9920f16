/* output_copy.h - outputs copied from a file lathe wrote earlier instead of recomputed.
 *
 * Every output written leaves a note in the cache, keyed by the output's content key: where the
 * file is, the hash of its bytes, its size and mtime. A later render of an output with the same
 * key into another folder (masters/v1 -> masters/v2) finds the note, and when that file is still
 * there with the same bytes it is copied (reflink where the filesystem can) instead of rendered. */
#ifndef LATHE_OUTPUT_COPY_H
#define LATHE_OUTPUT_COPY_H

#include "cache/cache.h"

#include <stddef.h>

/* [main] Remembers that abs_path (a complete file just written or copied) holds the content of
 * key, and with a shared cache keeps its bytes there for other machines; 0 with the hash of its
 * bytes in *content (may be NULL), -1 when the file could not be read. The file's mtime is
 * stamped a nanosecond back so that its hash is remembered at once
 * (lathe_cache_file_key_written). Informative: a failure only costs a later recomputation. */
int lathe_output_note_written(lathe_cache *cache, lathe_key key, const char *abs_path,
                              lathe_key *content);

/* [main] Whether the file at abs_path still holds the bytes noted for key: 1 yes, 0 edited
 * (even with its size and mtime put back), -1 not noted (then size and mtime are all there is). */
int lathe_output_noted_intact(lathe_cache *cache, lathe_key key, const char *abs_path);

/* [main] When a file noted for key still exists at another path than dest with its recorded
 * bytes, copies it to dest (a temporary file beside dest, verified, then renamed) and returns 1
 * with the source's absolute path in from (dest then joins the note); when no file is noted on
 * this machine but a shared cache holds the bytes (lathe_cache_put_file, written elsewhere),
 * writes those, from "the shared cache"; else 0 and dest is untouched. With dry_run set, only
 * checks (the bytes hashed, or their hash remembered by lathe_cache_file_key) and says whether
 * it would copy. */
int lathe_output_copy_noted(lathe_cache *cache, lathe_key key, const char *dest, int dry_run,
                            char *from, size_t from_size);

/* [main] Copies src into out (an empty file open for writing): a reflink (FICLONE) where the
 * filesystem can, else the bytes. 0, or -1 with errno set. */
int lathe_copy_file_into(const char *src, int out);

#endif
