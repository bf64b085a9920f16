/* cache_remote.h - a shared HTTP cache layered under the local one (ccache-style storage).
 *
 * Entries keep their local names under the remote's base URL: BASE/v1/ab/<32 hex>.<kind>, so
 * any server that answers GET and PUT of plain files (nginx with WebDAV, ccache's HTTP storage)
 * serves them unchanged. A local miss asks the remote; what arrives is written into the local
 * cache and then goes through the same open-time checks as any local entry (header, key,
 * checksum), so a corrupt or foreign object is a miss and recomputed, never an output. Entries
 * the run computes are PUT after they are committed locally (not in read-only mode; a stream
 * only after a HEAD finds the remote without it).
 * Only content-addressed entries (audio, blobs and deliverables' files) travel: notes, output
 * records and file-key memos describe this machine's files.
 *
 * A remote that is down, refuses, or is slow costs one warning on stderr; the run goes on with
 * the local cache only (connect timeout LATHE_CACHE_REMOTE_CONNECT_MS, transfers that stay
 * under 1 KiB/s for LATHE_CACHE_REMOTE_STALL_S are abandoned). [main], callable from several
 * threads (one curl handle per request). */
#ifndef LATHE_CACHE_REMOTE_H
#define LATHE_CACHE_REMOTE_H

#include "cache.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_CACHE_REMOTE_CONNECT_MS 2000
#define LATHE_CACHE_REMOTE_STALL_S 10

/* Counters of one process's use of the remote. */
typedef struct lathe_cache_remote_stats {
    uint64_t hits, misses, puts, failures;
} lathe_cache_remote_stats;

/* Layers the remote at url (http:// or https://, no trailing slash needed) under c. read_only:
 * never PUT (workers that must not write). LATHE_CACHE_OK, or LATHE_CACHE_ERR_PARAM with a line
 * in err (not an http URL), LATHE_CACHE_ERR_NOMEM. */
int lathe_cache_set_remote(lathe_cache *c, const char *url, int read_only, char *err,
                           size_t errsz);
lathe_cache_remote_stats lathe_cache_get_remote_stats(const lathe_cache *c);

#ifdef __cplusplus
}
#endif
#endif
