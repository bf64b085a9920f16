/* cache.h - the render cache store: the one small interface the engine calls.
 *
 * Entries live under DIR/v1/ab/<32 hex key>.<kind> (two-level fan-out), each a header, a payload
 * and an XXH3-64 checksum (format in cache/README.md). Writes go to a temporary file in the
 * entry's folder and are renamed into place, so a final name only ever holds a complete entry.
 * Every read verifies header and checksum before handing anything out; a bad entry is unlinked,
 * counted as corrupt and reported as a miss, so the caller recomputes: never a wrong output.
 *
 * Several processes (also on several machines over a network filesystem) may share one folder:
 * correctness rests on rename(2) being atomic and on entries with one key being identical by
 * construction, never on locks. Races can only lose an entry (a miss), not corrupt one.
 *
 * All functions are [main]: they do I/O and may allocate; none is for the audio thread. One
 * lathe_cache may be used from several threads at once (counters are atomic); a reader or
 * writer belongs to one thread at a time.
 * Return codes: LATHE_CACHE_OK, LATHE_CACHE_MISS (positive: not an error), negative LATHE_CACHE_ERR_*.
 */
#ifndef LATHE_CACHE_H
#define LATHE_CACHE_H

#include "cache_key.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_CACHE_MAX_CHANNELS 8

/* The stream format of an audio entry (the same layout as the engine's lathe_format). */
typedef struct lathe_cache_format {
    uint32_t rate;
    uint32_t channels;
    uint64_t frames;
} lathe_cache_format;
#define LATHE_CACHE_CAP_DEFAULT (UINT64_C(4) << 30) /* bytes: 4 GiB */
#define LATHE_CACHE_BLOB_MAX (1u << 20)              /* bytes of one small entry's payload */
#define LATHE_CACHE_STALE_TEMP_S 3600                /* temp files older than this are debris */

typedef struct lathe_cache lathe_cache;
typedef struct lathe_cache_writer lathe_cache_writer;
typedef struct lathe_cache_reader lathe_cache_reader;

/* Counters of one process's use of the cache (one run). */
typedef struct lathe_cache_stats {
    uint64_t hits, misses;  /* audio entries and blobs looked up (output records not counted) */
    uint64_t corrupt;       /* entries found bad, removed, reported as misses */
    uint64_t bytes_read;    /* payload bytes of hits */
    uint64_t bytes_written; /* whole entry files committed */
} lathe_cache_stats;

/* One line of the stats file: a past run's counters and when it saved them. */
typedef struct lathe_cache_run {
    int64_t time_s; /* Unix time */
    lathe_cache_stats stats;
} lathe_cache_run;

typedef struct lathe_cache_gc_result {
    uint64_t entries, bytes;               /* what remains */
    uint64_t removed_entries, removed_bytes;
    uint64_t removed_temps;                /* stale temp files of killed processes */
} lathe_cache_gc_result;

/* ---- Opening --------------------------------------------------------------------------------- */

/* Writes the default folder into buf: $LATHE_CACHE, else $XDG_CACHE_HOME/lathe (if absolute),
 * else $HOME/.cache/lathe. LATHE_CACHE_ERR_IO if none is set, LATHE_CACHE_ERR_PARAM if buf is too small. */
int lathe_cache_default_dir(char *buf, size_t size);

/* Opens (creating folders as needed) the cache in dir. size_cap_bytes is what lathe_cache_gc()
 * uses when asked for cap 0 (0 here means LATHE_CACHE_CAP_DEFAULT). On failure returns
 * LATHE_CACHE_ERR_IO (folder missing and not creatable, or not writable) or LATHE_CACHE_ERR_NOMEM with a
 * one-line message naming the folder in err; *out untouched. */
int lathe_cache_open(const char *dir, uint64_t size_cap_bytes, lathe_cache **out, char *err,
                     size_t errsz);
/* NULL is a no-op. Does not save stats or run gc: the engine does both at the end of a run. */
void lathe_cache_free(lathe_cache *c);
/* Seals this cache's entries with a MAC under key (HMAC-SHA256, 16 to 256 bytes of secret)
 * instead of a checksum: an entry not sealed with the same key, whether damaged, written
 * without a key, or forged by anyone who can write the folder or the remote, is a miss and is
 * removed. Set right after opening. LATHE_CACHE_OK or LATHE_CACHE_ERR_PARAM (with err). */
int lathe_cache_set_key(lathe_cache *c, const void *key, size_t len, char *err, size_t err_size);
int lathe_cache_keyed(const lathe_cache *c);
/* Where the cache's objects come from, process-wide (NULL: the C library's). Set before any
 * cache is opened; the engine sets its own allocator (lathe_set_allocator). */
void lathe_cache_use_allocator(void *(*alloc)(size_t), void *(*resize)(void *, size_t),
                               void (*dealloc)(void *));
/* fsync entries before renaming them (default off: a torn entry after a power cut fails its
 * checksum and is recomputed, so fsync only buys fewer recomputations). */
void lathe_cache_set_fsync(lathe_cache *c, int on);
const char *lathe_cache_dir(const lathe_cache *c);
uint64_t lathe_cache_size_cap(const lathe_cache *c);
/* A snapshot of this process's counters. */
lathe_cache_stats lathe_cache_get_stats(const lathe_cache *c);
/* Copies the last problem seen (a corrupt entry removed, a failed write; "" if none) into buf.
 * For the run report: problems never fail a render. */
void lathe_cache_last_message(lathe_cache *c, char *buf, size_t size);

/* ---- Audio entries --------------------------------------------------------------------------- */

/* Starts an entry for key. The payload is written as the caller appends; nothing is visible
 * under the final name before commit. LATHE_CACHE_OK, LATHE_CACHE_ERR_IO, LATHE_CACHE_ERR_NOMEM, or
 * LATHE_CACHE_ERR_FORMAT (channels not 1..LATHE_CACHE_MAX_CHANNELS, rate 0). */
int lathe_cache_writer_begin(lathe_cache *c, lathe_key key, uint32_t rate, uint32_t channels,
                             uint32_t node_version, lathe_cache_writer **out);
/* Appends n_frames frames of planar float32 (bufs[channel]). Errors are sticky: a failed
 * append makes commit fail; the caller may keep appending harmlessly. */
int lathe_cache_writer_append(lathe_cache_writer *w, const float *const *bufs, uint32_t n_frames);
/* Takes ownership of w (frees it): finishes the entry and renames it into place. If the key is
 * already present (another process committed it meanwhile) that entry is kept and this one
 * dropped: entries of one key are identical by construction. LATHE_CACHE_OK or LATHE_CACHE_ERR_IO (temp
 * removed, nothing visible). */
int lathe_cache_writer_commit(lathe_cache_writer *w);
/* Takes ownership of w (frees it): removes the temp file. NULL is a no-op. */
void lathe_cache_writer_abort(lathe_cache_writer *w);

/* Opens the entry for key after verifying it completely (header, sizes, checksum over the whole
 * payload). LATHE_CACHE_OK (a hit: *out set, entry's mtime touched for LRU), LATHE_CACHE_MISS (absent,
 * or bad and now removed), LATHE_CACHE_ERR_NOMEM. */
int lathe_cache_reader_open(lathe_cache *c, lathe_key key, lathe_cache_reader **out);
const lathe_cache_format *lathe_cache_reader_format(const lathe_cache_reader *r);
uint32_t lathe_cache_reader_node_version(const lathe_cache_reader *r);
/* Reads up to max frames into planar buffers; returns frames read, 0 at the end, negative
 * (LATHE_CACHE_ERR_IO) on a read error. Same contract as lathe_stream_read(). A read error after the
 * open-time verification (ESTALE: evicted by another NFS client) leaves part of the stream
 * delivered: the caller must then recompute rather than splice. */
long lathe_cache_reader_read(lathe_cache_reader *r, float *const *bufs, uint32_t max);
/* The next read starts at frame (at most the entry's frames: LATHE_CACHE_OK, else
 * LATHE_CACHE_ERR_PARAM with the position unchanged). */
int lathe_cache_reader_seek(lathe_cache_reader *r, uint64_t frame);
void lathe_cache_reader_free(lathe_cache_reader *r);

/* ---- Small entries (analysis results) -------------------------------------------------------- */

/* Stores size bytes (at most LATHE_CACHE_BLOB_MAX) under key. LATHE_CACHE_OK or LATHE_CACHE_ERR_IO. */
int lathe_cache_put_blob(lathe_cache *c, lathe_key key, const void *data, size_t size);
/* LATHE_CACHE_OK with *len bytes in buf, LATHE_CACHE_MISS, or LATHE_CACHE_ERR_PARAM when the entry is larger
 * than cap (*len then says how large; the entry stays). buf is unspecified unless LATHE_CACHE_OK. */
int lathe_cache_get_blob(lathe_cache *c, lathe_key key, void *buf, size_t cap, size_t *len);

/* ---- Files: a deliverable's bytes, for other machines --------------------------------------- */

/* With a remote layered under c that takes writes, stores the file at path (its bytes as they
 * are; any size) under key and sends it to the remote: another machine that renders an output of
 * that key then writes these bytes instead of rendering, encoding and measuring it (a
 * catalogue's second round). Without one (no remote, read-only, down) it keeps nothing
 * (LATHE_CACHE_MISS): on one machine the file itself is the copy. LATHE_CACHE_OK (stored, or
 * there already), LATHE_CACHE_ERR_IO. */
int lathe_cache_put_file(lathe_cache *c, lathe_key key, const char *path);
/* Writes the bytes stored under key (locally, else fetched from the remote) to out_fd, checking
 * the entry's seal as it goes; out_fd < 0 only checks. A bad entry is removed. The caller keeps
 * what was written only on LATHE_CACHE_OK (out_fd is a temporary file). LATHE_CACHE_MISS,
 * LATHE_CACHE_ERR_IO (writing out_fd failed), LATHE_CACHE_ERR_NOMEM. */
int lathe_cache_get_file(lathe_cache *c, lathe_key key, int out_fd);

/* ---- Notes: small entries a later run replaces ------------------------------------------------ */

/* Blobs are immutable (one key, one content). A note is what a run leaves for the next under a
 * name that stays while its content changes (a node's parameters from the last run, for
 * explanations): put replaces it atomically. Same return codes as the blob functions. */
int lathe_cache_put_note(lathe_cache *c, lathe_key key, const void *data, size_t size);
int lathe_cache_get_note(lathe_cache *c, lathe_key key, void *buf, size_t cap, size_t *len);

/* ---- Output records: which key produced the file at an output path --------------------------- */

/* Records that the file at abs_path (size, mtime) holds the render of key. */
int lathe_cache_put_output_record(lathe_cache *c, const char *abs_path, lathe_key key,
                                  uint64_t file_size, int64_t mtime_ns);
/* LATHE_CACHE_OK with the recorded values, or LATHE_CACHE_MISS. The caller compares them with the
 * file as it is now before leaving the output alone. */
int lathe_cache_get_output_record(lathe_cache *c, const char *abs_path, lathe_key *key,
                                  uint64_t *file_size, int64_t *mtime_ns);

/* ---- Source keys, memoised ------------------------------------------------------------------- */

/* lathe_key_file() remembered per (path, dev, inode, size, mtime, ctime): an unchanged file is
 * not read again. The change time is the kernel's, set on every write, rename or chmod and
 * never by hand (touch -d and utimensat put back the mtime only), so an edit whose size and
 * mtime were restored is still read. Files changed within the last 2 s are hashed but not
 * memoised (a coarse clock could hide a second change in the same tick). Return codes as
 * lathe_key_file(). */
int lathe_cache_file_key(lathe_cache *c, const char *path, lathe_key *out);
/* The same for a file this process has just written and owns (an output), memoised at once:
 * its mtime is first stamped one nanosecond earlier (one tick of a filesystem that truncates),
 * a time no later write can be given by the kernel; the file is hashed after the stamp, and the
 * memo kept when the identity after the hash is still the stamped one. A filesystem that cannot
 * set the time gets the plain hash. Sets *id to the identity hashed. */
int lathe_cache_file_key_written(lathe_cache *c, const char *path, lathe_key *out,
                                 lathe_file_id *id);

/* ---- Stats, eviction, maintenance ------------------------------------------------------------ */

/* Appends this process's counters to DIR/stats (keeping the last 32 runs) by atomic rewrite.
 * Concurrent savers may drop each other's line; stats are informational. */
int lathe_cache_stats_save(lathe_cache *c);
/* Reads up to max runs (oldest first) from dir's stats file; *n = 0 if there is none. */
int lathe_cache_stats_load(const char *dir, lathe_cache_run *runs, int max, int *n);
/* Counts complete entries and their bytes under dir (temp files excluded). */
int lathe_cache_scan(const char *dir, uint64_t *entries, uint64_t *bytes);
/* Removes temp files older than LATHE_CACHE_STALE_TEMP_S, then least recently used entries (by
 * mtime, touched on every hit) until at most cap bytes remain; cap 0 means the cache's cap.
 * res may be NULL. */
int lathe_cache_gc(lathe_cache *c, uint64_t cap, lathe_cache_gc_result *res);
/* Removes every entry, temp file and the stats file under dir; only names lathe writes are
 * touched, and only in a folder lathe made (LATHE_CACHE_ERR_PARAM otherwise), so a mistaken
 * --cache $HOME deletes nothing. */
int lathe_cache_clear(const char *dir);
/* Clears dir, then removes its tag and the folder itself (a run's private spill cache). */
int lathe_cache_remove(const char *dir);
/* 1 when dir is a lathe cache (its CACHEDIR.TAG, or v1/ of an older lathe), empty, or missing:
 * what lathe_cache_open accepts. */
int lathe_cache_is_ours(const char *dir);

#ifdef __cplusplus
}
#endif
#endif
